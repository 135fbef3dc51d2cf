/**
 * Chooses the kernels behind every op. float32 work goes to the active backend (the fastest
 * one available by default); float64 work always goes to the reference kernels, which are the
 * specification and the gradient-check path.
 */
import { allocate, type DType } from '../tensor.ts';
import type { FloatArray, Kernels } from './kernels.ts';
import { referenceKernels } from './reference.ts';
import { loadWasmKernels } from './wasm/index.ts';

let active: Kernels | undefined;

/** The kernels float32 ops use now (loads the fast backend on first use unless told not to). */
export const activeKernels = (): Kernels => {
  if (active === undefined) {
    const wanted = process.env.TENFOLD_BACKEND ?? 'auto';
    if (wanted !== 'auto' && wanted !== 'reference' && wanted !== 'wasm') {
      throw new Error(`TENFOLD_BACKEND must be auto, reference or wasm, got "${wanted}"`);
    }
    const fast = wanted === 'reference' ? undefined : loadWasmKernels();
    if (wanted === 'wasm' && fast === undefined) {
      throw new Error('TENFOLD_BACKEND=wasm but the WebAssembly kernels are not built or not supported here (run `npm run build`)');
    }
    active = fast ?? referenceKernels;
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
 * A buffer for a kernel's output: zeroed, or, when the kernels for `dtype` overwrite every
 * element anyway, fresh memory that skips the zero-fill (a measurable share of a training step).
 */
export const outputBuffer = (dtype: DType, size: number): FloatArray =>
  dtype === 'float32' && size >= UNZEROED_MIN && kernelsFor(dtype).overwritesOutputs
    ? new Float32Array(Buffer.allocUnsafeSlow(size * 4).buffer, 0, size)
    : allocate(dtype, size);
