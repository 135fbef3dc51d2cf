/**
 * Loads the fastest kernels this runtime supports: the WebAssembly SIMD backend (relaxed-SIMD
 * FMA build where available), or none where it is unsupported or not built (`npm run build`),
 * in which case the reference kernels are used.
 */
import type { Kernels } from './kernels.ts';
import { loadWasmKernels } from './wasm/index.ts';

/** The fast backend, or undefined where it is not built or not supported. */
export const loadFastKernels = (): Kernels | undefined => loadWasmKernels();
