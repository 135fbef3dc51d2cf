/** TensorFlow.js peers (wasm and cpu backends), loaded on demand and switched per case. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** TensorFlow.js backends we compare with. */
export type TfjsBackend = 'wasm' | 'cpu';

let wasmThreads: number | undefined;

/** Activates a tfjs backend; the wasm thread count is fixed by the first call (tfjs reads it once). */
export const useTfjs = async (backend: TfjsBackend, threads = 1): Promise<typeof tf> => {
  if (backend === 'wasm' && wasmThreads === undefined) { setThreadsCount(threads); wasmThreads = threads; }
  await tf.setBackend(backend);
  await tf.ready();
  return tf;
};

/** The thread count the tfjs wasm backend runs with. */
export const tfjsWasmThreads = (): number => wasmThreads ?? 1;

/** Library label of a tfjs backend in result rows. */
export const tfjsLabel = (backend: TfjsBackend): string => `tfjs-${backend}`;
