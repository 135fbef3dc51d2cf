/** Test-time augmentation: predict on several augmented views of the inputs and average. */
import { add, mul } from '../ops/elementwise.ts';
import { foldIn, type Key } from '../random.ts';
import type { Tensor } from '../tensor.ts';
import type { Augment } from './augment.ts';

/** `views` inputs: `x` itself first, then views − 1 augmentations of it with keys folded from `key`. */
export const ttaViews = (key: Key, x: Tensor, augment: Augment, views: number): readonly Tensor[] => {
  if (!Number.isInteger(views) || views < 1) throw new Error(`ttaViews: views must be a whole number ≥ 1, got ${views}`);
  const labels = new Int32Array(x.shape[0] ?? 0); // augmentations keep labels; these are placeholders
  return Array.from({ length: views }, (_, i) => (i === 0 ? x : augment(foldIn(key, i), { x, labels }).x));
};

/** The element-wise mean of equally shaped tensors (e.g. softmax outputs of the views). */
export const meanOf = (ts: readonly Tensor[]): Tensor => {
  if (ts.length === 0) throw new Error('meanOf: no tensors to average');
  return mul(ts.slice(1).reduce((s, t) => add(s, t), ts[0]), 1 / ts.length);
};

/** Probabilities averaged over `views` TTA views: `probabilities` maps inputs to softmax outputs. */
export const ttaPredict = (key: Key, x: Tensor, augment: Augment, views: number, probabilities: (x: Tensor) => Tensor): Tensor =>
  meanOf(ttaViews(key, x, augment, views).map(probabilities));
