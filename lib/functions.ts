/** The book's activation and loss functions as plain tensor functions (ch. 3–4). */
import { kernelsFor, outputBuffer } from './kernels/backend.ts';
import { unary } from './ops/elementwise.ts';
import { allocate, showShape, wrap, type Tensor } from './tensor.ts';
import { unsafeMutableData } from './tensor-unsafe.ts';

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

/** Class targets: integer labels per example, or a one-hot tensor shaped like the predictions. */
export type Targets = ArrayLike<number> | Tensor;

const isTensor = (t: Targets): t is Tensor => typeof t === 'object' && t !== null && 'shape' in t && 'dtype' in t;

/** Integer labels from targets, checked against predictions of shape [batch, classes]. */
export const labelsOf = (op: string, y: Tensor, t: Targets): Int32Array => {
  if (y.shape.length !== 2) throw new Error(`${op}: predictions must be [batch, classes], got ${showShape(y.shape)}`);
  const [batch, classes] = y.shape;
  if (isTensor(t)) {
    if (t.shape.length !== 2 || t.shape[0] !== batch || t.shape[1] !== classes) {
      throw new Error(`${op}: one-hot targets ${showShape(t.shape)} do not match predictions ${showShape(y.shape)}`);
    }
    const labels = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      let best = 0;
      for (let j = 1; j < classes; j++) if (t.data[i * classes + j] > t.data[i * classes + best]) best = j;
      labels[i] = best;
    }
    return labels;
  }
  if (t.length !== batch) throw new Error(`${op}: ${t.length} labels for a batch of ${batch}`);
  const labels = Int32Array.from(t);
  for (const l of labels) {
    if (!(l >= 0 && l < classes)) throw new Error(`${op}: label ${l} is outside 0..${classes - 1}`);
  }
  return labels;
};

/** Cross-entropy of probabilities y against targets, mean over the batch (the book's, with 1e-7 inside the log). */
export const crossEntropy = (y: Tensor, t: Targets): number => {
  const labels = labelsOf('crossEntropy', y, t);
  const classes = y.shape[1];
  let s = 0;
  for (let i = 0; i < labels.length; i++) s -= Math.log(y.data[i * classes + labels[i]] + 1e-7);
  return s / Math.max(1, labels.length);
};

/** Sum of squared errors ½Σ(y−t)², summed over all elements. */
export const sumSquaredError = (y: Tensor, t: Tensor): number => {
  if (y.size !== t.size) throw new Error(`sumSquaredError: shapes ${showShape(y.shape)} and ${showShape(t.shape)} differ`);
  let s = 0;
  for (let i = 0; i < y.size; i++) { const d = y.data[i] - t.data[i]; s += d * d; }
  return 0.5 * s;
};

/** One-hot encoding of integer labels as a [count, classes] tensor. */
export const oneHot = (labels: ArrayLike<number>, classes: number, dtype: 'float32' | 'float64' = 'float32'): Tensor => {
  const out = allocate(dtype, labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!(Number.isInteger(l) && l >= 0 && l < classes)) throw new Error(`oneHot: label ${l} is outside 0..${classes - 1}`);
    out[i * classes + l] = 1;
  }
  return wrap(out, [labels.length, classes]);
};
