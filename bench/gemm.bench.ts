/** GEMM: C = A·B for square N×N float32, tenfold vs TensorFlow.js. */
import { matmul } from '../lib/ops/linalg.ts';
import { key, split, uniform } from '../lib/random.ts';
import type { BenchCase } from './harness.ts';
import { tfjsLabel, tfjsWasmThreads, useTfjs } from './peers.ts';
import { runningOn, wasmActive } from './wasm-variants.ts';

const sizes = [128, 256, 512, 1024];

/**
 * GEMM cases: tenfold, and on one thread too when it runs two (the peers run one, so their
 * ratio is against that row); tfjs-wasm at every size, tfjs-cpu up to 256 (it is ~40× slower).
 */
export const gemmCases = (threads: number): BenchCase[] => sizes.flatMap((n): BenchCase[] => {
  const [ka, kb] = split(key(n), 2);
  const flops = 2 * n ** 3;
  const shape = `${n}x${n}x${n}`;
  const ours = (t: number): BenchCase => ({
    kernel: 'gemm', shape, library: 'tenfold', threads: t, flops,
    setup: async () => {
      const run = t === threads ? <T>(f: () => T): T => f() : await runningOn('tenfold', t);
      const a = uniform(ka, [n, n], -1, 1);
      const b = uniform(kb, [n, n], -1, 1);
      return () => { run(() => matmul(a, b)); };
    },
  });
  const peer = (backend: 'wasm' | 'cpu'): BenchCase => {
    let release = (): void => undefined;
    return {
      kernel: 'gemm', shape, library: tfjsLabel(backend), threads: backend === 'wasm' ? tfjsWasmThreads() : 1, flops,
      setup: async () => {
        const tf = await useTfjs(backend);
        const a = tf.randomUniform([n, n], -1, 1);
        const b = tf.randomUniform([n, n], -1, 1);
        release = () => { a.dispose(); b.dispose(); };
        return () => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); };
      },
      teardown: () => release(),
    };
  };
  return [ours(threads), ...(threads > 1 && wasmActive() ? [ours(1)] : []), peer('wasm'), ...(n <= 256 ? [peer('cpu')] : [])];
});
