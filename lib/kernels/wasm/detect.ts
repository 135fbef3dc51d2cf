/** Feature detection for Node (the probes are in probes.ts; Node 20 needs a V8 flag for relaxed SIMD). */
import v8 from 'node:v8';
import { validatesRelaxedSimd, validatesSimd } from './probes.ts';

/** Whether this runtime validates WebAssembly SIMD. */
export const hasSimd = (): boolean => validatesSimd();

/**
 * Whether relaxed SIMD is available. Node 20's V8 ships it behind a flag, which is switched on
 * first: it must be set before the kernel module is compiled.
 */
export const hasRelaxedSimd = (): boolean => {
  if (!validatesRelaxedSimd()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return validatesRelaxedSimd();
};
