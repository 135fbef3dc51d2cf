/**
 * TensorFlow.js peers (wasm and cpu backends), loaded on demand and switched per case. They are
 * optional peer dependencies: loaded only by dynamic import, so tenfold runs without them.
 */
import type * as TF from '@tensorflow/tfjs-core';
import { tfjsPackages, type TfjsBackend } from './names.ts';
import { optionalImport } from './optional-import.ts';

interface Loaded { readonly tf: typeof TF; readonly setThreadsCount: (threads: number) => void }

const load = optionalImport(async (): Promise<Loaded> => {
  const tf = await import('@tensorflow/tfjs-core');
  // the backends register themselves with the tfjs-core instance they resolve, the one above
  await import('@tensorflow/tfjs-backend-cpu');
  const { setThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
  return { tf, setThreadsCount };
});

/** Whether the tfjs packages load from here; `TENFOLD_BENCH_NO_PEERS=1` answers no without trying (as if not installed). */
export const tfjsAvailable = async (): Promise<boolean> =>
  process.env.TENFOLD_BENCH_NO_PEERS !== '1' && (await load()) !== undefined;

let wasmThreads: number | undefined;

/** Activates a tfjs backend; the wasm thread count is fixed by the first call (tfjs reads it once). Throws if tfjs is not installed. */
export const useTfjs = async (backend: TfjsBackend, threads = 1): Promise<typeof TF> => {
  const loaded = await load();
  if (loaded === undefined) throw new Error(`TensorFlow.js peers not installed (npm i -D ${tfjsPackages.join(' ')})`);
  const { tf, setThreadsCount } = loaded;
  if (backend === 'wasm' && wasmThreads === undefined) { setThreadsCount(threads); wasmThreads = threads; }
  await tf.setBackend(backend);
  await tf.ready();
  return tf;
};

/** The thread count the tfjs wasm backend runs with. */
export const tfjsWasmThreads = (): number => wasmThreads ?? 1;
