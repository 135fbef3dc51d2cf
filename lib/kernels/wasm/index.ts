/**
 * The WebAssembly SIMD backend for Node, loaded synchronously, or undefined where it cannot run.
 * Bundlers for browsers put index.browser.ts in its place (package.json's "browser" map).
 */
import { availableParallelism } from 'node:os';
import type { Kernels } from '../kernels.ts';
import { loadKernels } from './load.ts';
export { slowerBecause } from './load.ts';
import { createWasmKernels } from './kernels.ts';

/** Threads for large GEMMs: TENFOLD_THREADS (1 disables the helper), else up to 2 cores. */
const threadCount = (): number => {
  const wanted = Number(process.env.TENFOLD_THREADS ?? availableParallelism());
  return Number.isFinite(wanted) && wanted >= 2 ? 2 : 1;
};

/** TENFOLD_WINOGRAD=0 keeps 3×3 convolutions on the direct kernel (default 1: Winograd where it pays). */
const winogradWanted = (): boolean => {
  const wanted = process.env.TENFOLD_WINOGRAD ?? '1';
  if (wanted !== '0' && wanted !== '1') throw new Error(`TENFOLD_WINOGRAD must be 0 or 1, got "${wanted}"`);
  return wanted === '1';
};

/** Loads the best wasm build for this runtime; undefined if unsupported or not built. */
export const loadWasmKernels = (): Kernels | undefined => {
  const loaded = loadKernels();
  return loaded === undefined ? undefined : createWasmKernels(loaded, threadCount(), { winograd: winogradWanted() });
};
