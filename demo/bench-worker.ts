/**
 * The browser bench, in a worker: GEMM and the SimpleConvNet training step, tenfold beside
 * TensorFlow.js's wasm backend (one thread, its SIMD build, served from this page's tfjs/
 * folder) in the same worker. The cases are the Node bench's (lib/bench: gemm-cases.ts and the
 * train-step rows of layer-cases.ts, the tfjs network from peers/tfjs-nets.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  adam, initTrainState, key, matmul, randint, ready, simpleConvNet, softmaxCrossEntropy, split, trainStep, uniform,
} from '../lib/browser.ts';
import type { BenchTiming } from '../lib/bench/harness.ts';
import { tfjsNets, tfjsTrainer } from '../lib/bench/peers/tfjs-nets.ts';

/** One measured row: the Node bench's timing fields (lib/bench/harness.ts). */
export type BenchRow = BenchTiming;

/** Page → worker: run every case for about `maxTime` seconds each. */
export interface BenchRequest { readonly wasmUrl: string; readonly tfjsUrl: string; readonly maxTime: number; readonly sizes: readonly number[] }

const scope = globalThis as unknown as { onmessage: ((e: { data: BenchRequest }) => void) | null; postMessage(m: unknown): void };

/** Median milliseconds of calls of `f` over about `maxTime` seconds (at least 5, after one warm-up call). */
const time = (f: () => void, maxTime: number): { readonly medianMs: number; readonly samples: number } => {
  f();
  const times: number[] = [];
  const until = performance.now() + maxTime * 1000;
  while (times.length < 5 || (performance.now() < until && times.length < 500)) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1], samples: times.length };
};

const row = (kernel: string, shape: string, library: string, threads: number, flops: number | null, f: () => void, maxTime: number): BenchRow => {
  const t = time(f, maxTime);
  return { kernel, shape, library, threads, ...t, gflops: flops === null ? null : flops / t.medianMs / 1e6 };
};

const BATCH = 100;

const run = async (r: BenchRequest): Promise<void> => {
  const info = await ready({ wasmUrl: r.wasmUrl });
  // one thread and the plain SIMD build, as the Node bench's peer rows
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setThreadsCount(1);
  setWasmPaths(r.tfjsUrl);
  await tf.setBackend('wasm');
  await tf.ready();
  const out = (b: BenchRow): void => scope.postMessage({ type: 'row', row: b });
  for (const n of r.sizes) {
    const [ka, kb] = split(key(n), 2);
    const a = uniform(ka, [n, n], -1, 1);
    const b = uniform(kb, [n, n], -1, 1);
    out(row('gemm', `${n}x${n}x${n}`, 'tenfold', info.threads, 2 * n ** 3, () => { matmul(a, b); }, r.maxTime));
    const ta = tf.randomUniform([n, n], -1, 1);
    const tb = tf.randomUniform([n, n], -1, 1);
    out(row('gemm', `${n}x${n}x${n}`, 'tfjs-wasm', 1, 2 * n ** 3, () => { tf.matMul(ta, tb).dataSync(); }, r.maxTime));
    ta.dispose(); tb.dispose();
  }
  const model = { net: simpleConvNet(), loss: softmaxCrossEntropy };
  const opt = adam(0.001);
  let ts = initTrainState(model, opt, key(1), [1, 28, 28]);
  const step = trainStep(model, opt);
  const [kx, ky] = split(key(2), 2);
  const batch = { x: uniform(kx, [BATCH, 1, 28, 28]), labels: randint(ky, BATCH, 0, 10) };
  out(row('train-step', `simple-convnet batch ${BATCH} adam`, 'tenfold', info.threads, null, () => { ts = step(ts, batch).state; }, r.maxTime));
  const trainer = tfjsTrainer(tf, tfjsNets['simple-convnet'], [28, 28, 1]);
  const x = tf.randomUniform([BATCH, 28, 28, 1]) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), 'int32');
  out(row('train-step', `simple-convnet batch ${BATCH} adam`, 'tfjs-wasm', 1, null, () => { trainer.step(x, labels); }, r.maxTime));
  scope.postMessage({ type: 'done', kernels: info.kernels, threads: info.threads });
};

scope.onmessage = (e) => {
  run(e.data).catch((err: unknown) => scope.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
};
