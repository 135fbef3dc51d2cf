/** The WebAssembly SIMD backend, or undefined where it cannot run. */
import { availableParallelism } from 'node:os';
import type { Kernels } from '../kernels.ts';
import { loadKernels } from './load.ts';
import { createWasmKernels } from './kernels.ts';

/** Threads for large GEMMs: TENFOLD_THREADS (1 disables the helper), else up to 2 cores. */
const threadCount = (): number => {
  const wanted = Number(process.env.TENFOLD_THREADS ?? availableParallelism());
  return Number.isFinite(wanted) && wanted >= 2 ? 2 : 1;
};

/** Loads the best wasm build for this runtime; undefined if unsupported or not built. */
export const loadWasmKernels = (): Kernels | undefined => {
  const loaded = loadKernels();
  return loaded === undefined ? undefined : createWasmKernels(loaded, threadCount());
};
