/**
 * The one way from a tensor to its writable storage. Not exported from the public index.
 * Only kernels' callers and serialisers that READ may use it: a write through it breaks every
 * tensor sharing the storage and, on the wasm backend, is not seen by the kept copy in wasm memory.
 */
import type { FloatArray } from './tensor.ts';
import type { Tensor } from './tensor.ts';

/** The typed array behind `t`, typed as writable so kernels accept it. Never write to it. */
export const unsafeMutableData = (t: Tensor): FloatArray => t.data as FloatArray;
