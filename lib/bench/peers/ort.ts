/**
 * ONNX Runtime Web (its WebAssembly backend, in Node), the inference peer. Optional: loaded only by
 * dynamic import, so tenfold runs without it; a missing package means "not installed".
 */
import type * as ORT from 'onnxruntime-web';
import { optionalImport } from './optional-import.ts';

/** The package the inference peer rows need, for the message that it is missing. */
export const ortPackage = 'onnxruntime-web';

const load = optionalImport(async (): Promise<typeof ORT> => import('onnxruntime-web'));

/** Whether onnxruntime-web loads from here; `TENFOLD_BENCH_NO_PEERS=1` answers no without trying (as if not installed). */
export const ortAvailable = async (): Promise<boolean> =>
  process.env.TENFOLD_BENCH_NO_PEERS !== '1' && (await load()) !== undefined;

let fixedThreads: number | undefined;

/**
 * onnxruntime-web with its wasm thread count set: ORT reads `env.wasm.numThreads` once, when the
 * first session is created, so the first call fixes it and a later call asking for another count
 * throws. Throws if the package is not installed.
 */
export const useOrt = async (threads = 1): Promise<typeof ORT> => {
  const ort = await load();
  if (ort === undefined) throw new Error(`ONNX Runtime Web not installed (npm i -D ${ortPackage})`);
  if (fixedThreads === undefined) { ort.env.wasm.numThreads = threads; fixedThreads = threads; }
  else if (fixedThreads !== threads) throw new Error(`onnxruntime-web already runs ${fixedThreads} thread(s) in this process; cannot switch to ${threads}`);
  return ort;
};

/** The thread count onnxruntime-web runs with (1 until `useOrt` sets it). */
export const ortThreads = (): number => fixedThreads ?? 1;
