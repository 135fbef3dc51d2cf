/**
 * Quick GEMM measurement of the kernel backends through the Kernels API (copies included):
 * reference vs wasm plain/relaxed SIMD, 1 and 2 threads. Median and best GFLOPS per size.
 * Usage: npx tsx bench/gemm-quick.ts [sizes, default 128,256,512,1024] [--no-reference]
 */
import type { Kernels } from '../lib/kernels/kernels.ts';
import { referenceKernels } from '../lib/kernels/reference.ts';
import { loadKernels, type Variant } from '../lib/kernels/wasm/load.ts';
import { createWasmKernels, type WasmKernels } from '../lib/kernels/wasm/kernels.ts';

const args = process.argv.slice(2);
const sizes = (args.find((a) => !a.startsWith('--')) ?? '128,256,512,1024').split(',').map(Number);

/** Median and best GFLOPS of ~1 s of calls (at least 3). */
const measure = (k: Kernels, n: number): { median: number; best: number } => {
  const a = Float32Array.from({ length: n * n }, () => Math.random() * 2 - 1);
  const b = Float32Array.from({ length: n * n }, () => Math.random() * 2 - 1);
  const args = { transA: false, transB: false, m: n, n, k: n, a, b, out: new Float32Array(n * n) };
  const flops = 2 * n ** 3;
  k.gemm(args); // warm-up: compile, grow memory
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < 1000 && times.length < 200)) {
    const t = performance.now();
    k.gemm(args);
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  return { median: flops / times[times.length >> 1] / 1e6, best: flops / times[0] / 1e6 };
};

const waitForThreads = async (k: WasmKernels): Promise<void> => {
  while (!k.threadsReady()) await new Promise((resolve) => setTimeout(resolve, 10));
};

const backends: Array<[string, () => Promise<Kernels>]> = [];
if (!args.includes('--no-reference')) backends.push(['reference', async () => referenceKernels]);
for (const variant of ['simd', 'relaxed-simd'] as Variant[]) {
  for (const threads of [1, 2]) {
    backends.push([`wasm-${variant} ×${threads}`, async () => {
      const loaded = loadKernels(variant);
      if (loaded === undefined) throw new Error(`${variant} unavailable`);
      const k = createWasmKernels(loaded, threads);
      if (threads > 1) await waitForThreads(k);
      return k;
    }]);
  }
}

console.log(['backend', ...sizes.map((n) => `N=${n} median/best`)].join('\t'));
for (const [label, make] of backends) {
  const k = await make();
  const cells = sizes.map((n) => {
    if (label === 'reference' && n > 512) return '-';
    const { median, best } = measure(k, n);
    return `${median.toFixed(1)}/${best.toFixed(1)}`;
  });
  console.log([label, ...cells].join('\t'));
}
