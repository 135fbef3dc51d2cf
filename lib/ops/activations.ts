/** The book's activation functions and softmax as plain tensor functions (ch. 3). */
import { kernelsFor, outputBuffer } from '../kernels/backend.ts';
import { unary } from './elementwise.ts';
import { wrap, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';

/** Step function: 1 where x > 0, else 0. */
export const step = (x: Tensor): Tensor => unary('step', x);
/** Logistic sigmoid 1/(1+e⁻ˣ), stable for large |x|. */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** max(0, x). */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** The identity (the output function for regression). */
export const identity = (x: Tensor): Tensor => x;

/** Softmax over the last axis, stable (subtracts the row maximum). */
export const softmax = (x: Tensor): Tensor => {
  if (x.shape.length === 0) throw new Error('softmax: needs at least one axis');
  const cols = x.shape[x.shape.length - 1];
  const out = outputBuffer(x.dtype, x.size);
  kernelsFor(x.dtype).softmax(unsafeMutableData(x), x.size / Math.max(1, cols), cols, out);
  return wrap(out, x.shape);
};

