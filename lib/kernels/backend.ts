/**
 * Chooses the kernels behind every op. float32 work goes to the active backend (the fastest
 * one available by default); float64 work always goes to the reference kernels, which are the
 * specification and the gradient-check path.
 */
import { allocate, type DType } from '../tensor.ts';
import type { FloatArray, Kernels } from './kernels.ts';
import { referenceKernels } from './reference.ts';
import { env, unzeroedBuffer, warn } from '../platform/host.ts';
import { loadWasmKernels, slowerBecause } from './wasm/index.ts';

let active: Kernels | undefined;

/** The kernels float32 ops use now (loads the fast backend on first use unless told not to). */
export const activeKernels = (): Kernels => {
  if (active === undefined) {
    const wanted = env('TENFOLD_BACKEND') ?? 'auto';
    if (wanted !== 'auto' && wanted !== 'reference' && wanted !== 'wasm') {
      throw new Error(`TENFOLD_BACKEND must be auto, reference or wasm, got "${wanted}"`);
    }
    const fast = wanted === 'reference' ? undefined : loadWasmKernels();
    if (wanted === 'wasm' && fast === undefined) {
      throw new Error('TENFOLD_BACKEND=wasm but the WebAssembly kernels are not built or not supported here (run `npm run build`)');
    }
    active = fast ?? referenceKernels;
    // a fallback nobody asked for is said once; choosing the reference kernels (or setKernels) is silent
    const why = wanted === 'auto' ? slowerBecause() : undefined;
    if (why !== undefined) warn(`tenfold: ${why}`, 'TENFOLD_SLOW_KERNELS');
  }
  return active;
};

/** Replaces the float32 kernels (for tests and benchmarks); returns the previous ones. */
export const setKernels = (k: Kernels): Kernels => {
  const previous = activeKernels();
  active = k;
  return previous;
};

/** The kernels for a buffer of the given dtype. */
export const kernelsFor = (dtype: 'float32' | 'float64'): Kernels =>
  dtype === 'float64' ? referenceKernels : activeKernels();

/** Below this many elements zero-filling costs next to nothing. */
const UNZEROED_MIN = 4096;

/**
 * A buffer for a kernel's output: fresh memory that skips the zero-fill (a measurable share of a
 * training step), since every kernel writes every element of its outputs (see Kernels).
 */
export const outputBuffer = (dtype: DType, size: number): FloatArray => {
  if (size < UNZEROED_MIN) return allocate(dtype, size);
  const bytes = unzeroedBuffer(size * (dtype === 'float32' ? 4 : 8));
  return dtype === 'float32' ? new Float32Array(bytes, 0, size) : new Float64Array(bytes, 0, size);
};
