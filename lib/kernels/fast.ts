/**
 * Loads the fastest kernels this runtime supports. Until the WebAssembly backend is built,
 * there is none and the reference kernels are used.
 */
import type { Kernels } from './kernels.ts';

/** The fast backend, or undefined where it is not built or not supported. */
export const loadFastKernels = (): Kernels | undefined => undefined;
