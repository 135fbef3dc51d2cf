/** GEMM: C = A·B for square N×N float32, tenfold (and, when installed, TensorFlow.js beside it). */
import { matmul } from '../ops/linalg.ts';
import { key, split, uniform } from '../random.ts';
import type { BenchCase } from './harness.ts';
import { tfjsGemmCase } from './peers/tfjs-cases.ts';
import { runningOn, wasmActive } from './wasm-variants.ts';

const sizes = [128, 256, 512, 1024];

/**
 * GEMM cases: tenfold, and on one thread too when it runs two (the peers run one, so their
 * ratio is against that row); with `peers`, tfjs-wasm at every size and tfjs-cpu up to 256 (it is ~40× slower).
 */
export const gemmCases = (threads: number, peers: boolean): BenchCase[] => sizes.flatMap((n): BenchCase[] => {
  const [ka, kb] = split(key(n), 2);
  const ours = (t: number): BenchCase => ({
    kernel: 'gemm', shape: `${n}x${n}x${n}`, library: 'tenfold', threads: t, flops: 2 * n ** 3,
    setup: async () => {
      const run = t === threads ? <T>(f: () => T): T => f() : await runningOn('tenfold', t);
      const a = uniform(ka, [n, n], -1, 1);
      const b = uniform(kb, [n, n], -1, 1);
      return () => { run(() => matmul(a, b)); };
    },
  });
  return [
    ours(threads), ...(threads > 1 && wasmActive() ? [ours(1)] : []),
    ...(peers ? [tfjsGemmCase(n, 'wasm'), ...(n <= 256 ? [tfjsGemmCase(n, 'cpu')] : [])] : []),
  ];
});
