/** Losses that also give their gradient with respect to the network output (book ch. 5). */
import { labelsOf, softmax, sumSquaredError, type Targets } from './functions.ts';
import { allocate, showShape, wrap, type Tensor } from './tensor.ts';

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
