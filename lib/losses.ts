/** Losses (book ch. 4) and the losses that also give their gradient with respect to the network output (ch. 5). */
import { softmax } from './ops/activations.ts';
import { allocate, showShape, wrap, type Tensor } from './tensor.ts';

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

/** A loss: its mean value over the batch and the gradient of that mean with respect to y. */
export interface Loss {
  readonly name: string;
  (y: Tensor, t: Targets): { readonly value: number; readonly dy: Tensor };
}

/** A function carrying a readable name (a function's own `name` is read-only to assignment). */
const named = (name: string, f: (y: Tensor, t: Targets) => { readonly value: number; readonly dy: Tensor }): Loss =>
  Object.defineProperty(f, 'name', { value: name }) as Loss;

/** Mean of logsumexp(row) − row[label]: exact cross-entropy of softmax, without the book's 1e-7. */
const logSoftmaxLoss = (logits: Tensor, labels: Int32Array): number => {
  const classes = logits.shape[1];
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    let mx = -Infinity;
    for (let j = 0; j < classes; j++) mx = Math.max(mx, logits.data[i * classes + j]);
    let s = 0;
    for (let j = 0; j < classes; j++) s += Math.exp(logits.data[i * classes + j] - mx);
    total += mx + Math.log(s) - logits.data[i * classes + labels[i]];
  }
  return total / Math.max(1, labels.length);
};

/** Softmax followed by cross-entropy on logits; dy = (softmax(y) − onehot(t)) / batch. */
export const softmaxCrossEntropy: Loss = named('softmaxCrossEntropy',
  (logits: Tensor, t: Targets) => {
    const labels = labelsOf('softmaxCrossEntropy', logits, t);
    const p = softmax(logits);
    const [batch, classes] = logits.shape;
    const dy = allocate(logits.dtype, logits.size);
    dy.set(p.data);
    for (let i = 0; i < batch; i++) dy[i * classes + labels[i]] -= 1;
    for (let i = 0; i < dy.length; i++) dy[i] /= batch;
    return { value: logSoftmaxLoss(logits, labels), dy: wrap(dy, logits.shape) };
  },
);

/**
 * Softmax cross-entropy against smoothed targets (Szegedy et al.): the label's class gets 1 − ε + ε/K,
 * every class ε/K. dy = (softmax − q) / batch. ε = 0 is softmaxCrossEntropy.
 */
export const smoothedSoftmaxCrossEntropy = (epsilon: number): Loss => {
  if (!(epsilon >= 0 && epsilon < 1)) throw new Error(`smoothedSoftmaxCrossEntropy: ε must be in [0, 1), got ${epsilon}`);
  if (epsilon === 0) return softmaxCrossEntropy;
  return named(`smoothedSoftmaxCrossEntropy(${epsilon})`, (logits: Tensor, t: Targets) => {
    const labels = labelsOf('smoothedSoftmaxCrossEntropy', logits, t);
    const p = softmax(logits);
    const [batch, classes] = logits.shape;
    const off = epsilon / classes;
    const dy = allocate(logits.dtype, logits.size);
    let total = 0;
    for (let i = 0; i < batch; i++) {
      let mx = -Infinity;
      for (let j = 0; j < classes; j++) mx = Math.max(mx, logits.data[i * classes + j]);
      let s = 0;
      for (let j = 0; j < classes; j++) s += Math.exp(logits.data[i * classes + j] - mx);
      const lse = mx + Math.log(s);
      for (let j = 0; j < classes; j++) {
        const q = off + (j === labels[i] ? 1 - epsilon : 0);
        total += q * (lse - logits.data[i * classes + j]);
        dy[i * classes + j] = (p.data[i * classes + j] - q) / batch;
      }
    }
    return { value: total / Math.max(1, batch), dy: wrap(dy, logits.shape) };
  });
};

/** Sum of squared errors per example, averaged over the batch; dy = (y − t) / batch. */
export const meanSquaredError: Loss = named('meanSquaredError',
  (y: Tensor, t: Targets) => {
    if (!('shape' in t) || t.size !== y.size) {
      throw new Error(`meanSquaredError: targets must be a tensor shaped like ${showShape(y.shape)}`);
    }
    const batch = y.shape[0] ?? 1;
    const dy = allocate(y.dtype, y.size);
    for (let i = 0; i < y.size; i++) dy[i] = (y.data[i] - t.data[i]) / batch;
    return { value: sumSquaredError(y, t) / batch, dy: wrap(dy, y.shape) };
  },
);
