/**
 * What each zoo model computes in one training step and one inference pass on fixed input: the
 * kernels it calls, in order, and SHA-256s of outputs, gradients and state. Run against another
 * checkout (`tsx spec/helpers/zoo-bits.ts ROOT > fixture.json`) it records that code's figures,
 * so it imports by path and reads only what every version of lib/ has.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A model's figures: kernel calls in order, and hashes of what it computed. */
export interface ModelBits {
  readonly trainKernels: readonly string[];
  readonly inferenceKernels: readonly string[];
  readonly y: string;
  readonly grads: string;
  readonly dx: string;
  readonly inference: string;
  readonly state: string;
}

/** The figures of every model in ROOT's lib/models/registry.ts, on the active kernels. */
export const zooBits = async (root: string): Promise<Record<string, ModelBits>> => {
  const lib = (p: string): string => pathToFileURL(`${root}/lib/${p}`).href;
  const { models } = await import(lib('models/registry.ts')) as typeof import('../../lib/models/registry.ts');
  const { key, normal } = await import(lib('random.ts')) as typeof import('../../lib/random.ts');
  const { activeKernels, setKernels } = await import(lib('kernels/backend.ts')) as typeof import('../../lib/kernels/backend.ts');
  const { trainCtx, inferenceCtx } = await import(lib('layers/layer.ts')) as typeof import('../../lib/layers/layer.ts');
  const { paramsSha256 } = await import(lib('train/hash.ts')) as typeof import('../../lib/train/hash.ts');
  const { softmaxCrossEntropy } = await import(lib('losses.ts')) as typeof import('../../lib/losses.ts');
  const kernels = activeKernels();
  const calls: string[] = [];
  // every kernel call is named as it goes through
  setKernels(new Proxy(kernels, {
    get: (target, p, receiver) => {
      const v: unknown = Reflect.get(target, p, receiver);
      return typeof v === 'function' ? (...args: unknown[]) => { calls.push(String(p)); return v.apply(target, args); } : v;
    },
  }));
  try {
    const out: Record<string, ModelBits> = {};
    for (const [name, entry] of Object.entries(models)) {
      const net = entry.build({ hidden: [32, 16], classes: 10 });
      const shape = entry.flatInput ? [784] : [1, 28, 28];
      const init = net.init(key(3), shape);
      const x = normal(key(4), [8, ...shape]);
      calls.length = 0;
      const fwd = net.forward(init.params, x, { ...trainCtx(key(5), init.state), inputGrad: true });
      const { dy } = softmaxCrossEntropy(fwd.y, Array.from({ length: 8 }, (_, i) => i % 10));
      const bwd = net.backward(init.params, fwd.cache, dy);
      const trainKernels = [...calls];
      calls.length = 0;
      const inf = net.forward(init.params, x, inferenceCtx(key(0), fwd.state));
      out[name] = {
        trainKernels, inferenceKernels: [...calls],
        y: paramsSha256({ y: fwd.y }), grads: paramsSha256(bwd.grads), dx: paramsSha256({ dx: bwd.dx }),
        inference: paramsSha256({ y: inf.y }), state: paramsSha256(fwd.state),
      };
    }
    return out;
  } finally {
    setKernels(kernels);
  }
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  void zooBits(process.argv[2]).then((bits) => process.stdout.write(`${JSON.stringify(bits, null, 1)}\n`));
}
