/**
 * Quick convolution measurement at batch 100: the conv2d layer as it is (im2col → matmul → bias
 * → NCHW transpose, and back) against the fused Kernels.conv2dForward/Backward, on the wasm
 * backend with 1 and 2 threads. Median ms per call and GFLOPS (forward 2·N·OH·OW·F·C·kh·kw;
 * backward counted as 2× forward with dx, as the GEMMs do).
 * Usage: npx tsx bench/conv-quick.ts [--threads=1,2] [--ms=1000]
 */
import { windowOutput, type Window2D } from '../lib/kernels/kernels.ts';
import { setKernels } from '../lib/kernels/backend.ts';
import { loadKernels } from '../lib/kernels/wasm/load.ts';
import { createWasmKernels, type WasmKernels } from '../lib/kernels/wasm/kernels.ts';
import { conv2d } from '../lib/layers/conv.ts';
import { trainCtx } from '../lib/layers/layer.ts';
import { key, normal, split } from '../lib/random.ts';
import { buffer } from '../lib/tensor.ts';
import { BATCH, convShapes } from './conv-shapes.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const threadCounts = opt('threads', '1,2').split(',').map(Number);
const budget = Number(opt('ms', '1000'));

const shapes = convShapes;

/** Median ms of `budget` ms of calls (at least 5) after two warm-ups. */
const median = (f: () => void): number => {
  f(); f();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || (performance.now() - start < budget && times.length < 500)) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
};

const waitForThreads = async (k: WasmKernels): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!k.threadsReady()) {
    if (Date.now() > deadline) throw new Error('helper thread did not start');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

const cell = (ms: number, flops: number): string => `${ms.toFixed(2)} ms ${(flops / ms / 1e6).toFixed(1)} GF`;

console.log(['threads', 'shape', 'old fwd', 'old fwd+bwd', 'fused fwd', 'fused bwd', 'fused fwd+bwd', 'speed-up'].join('\t'));
for (const threads of threadCounts) {
  const loaded = loadKernels();
  if (loaded === undefined) throw new Error('wasm kernels unavailable: npm run build');
  const k = createWasmKernels(loaded, threads);
  if (threads > 1) await waitForThreads(k);
  setKernels(k);
  for (const s of shapes) {
    const layer = conv2d(s.f, s.k, s.k, { pad: s.pad });
    const [kInit, kX, kDy, kCtx] = split(key(7), 4);
    const { params, state } = layer.init(kInit, [s.c, s.hw, s.hw]);
    const x = normal(kX, [BATCH, s.c, s.hw, s.hw]);
    const ctx = trainCtx(kCtx, state);
    const fwd = layer.forward(params, x, ctx);
    const dy = normal(kDy, [...fwd.y.shape]);
    const g: Window2D = { n: BATCH, c: s.c, h: s.hw, w: s.hw, kh: s.k, kw: s.k, strideH: 1, strideW: 1, padH: s.pad, padW: s.pad };
    const { oh, ow } = windowOutput(g);
    const flops = 2 * BATCH * oh * ow * s.f * s.c * s.k * s.k;

    const oldFwd = median(() => { layer.forward(params, x, ctx); });
    const oldBoth = median(() => { const f = layer.forward(params, x, ctx); layer.backward(params, f.cache, dy); });

    const xb = buffer(x) as Float32Array;
    const wb = buffer(params.W) as Float32Array;
    const bb = buffer(params.b) as Float32Array;
    const dyb = buffer(dy) as Float32Array;
    const forward = (): void => { k.conv2dForward(xb, wb, bb, g, s.f, new Float32Array(BATCH * s.f * oh * ow)); };
    const backward = (): void => {
      k.conv2dBackward(xb, wb, dyb, g, s.f, new Float32Array(xb.length), new Float32Array(wb.length), new Float32Array(s.f));
    };
    const newFwd = median(forward);
    const newBwd = median(backward);
    const newBoth = median(() => { forward(); backward(); });
    console.log([threads, s.name, cell(oldFwd, flops), cell(oldBoth, 3 * flops), cell(newFwd, flops),
      cell(newBwd, 2 * flops), cell(newBoth, 3 * flops), `${(oldBoth / newBoth).toFixed(1)}×`].join('\t'));
  }
}
process.exit(0);
