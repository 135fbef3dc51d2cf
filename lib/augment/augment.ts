/** Data augmentation as pure functions of a key and a batch, and their composition. */
import { split, type Key } from '../random.ts';
import { allocate, showShape, type Tensor } from '../tensor.ts';
import type { Dataset } from '../data/dataset.ts';
import type { FloatArray } from '../kernels/kernels.ts';

/** A random, label-preserving transform of a batch: same key, same result. Matches fit's `augment`. */
export type Augment = (key: Key, batch: Dataset) => Dataset;

/** The identity augmentation. */
export const identityAugment: Augment = (_key, batch) => batch;

/** Applies augmentations in order, each with a key of its own split from the one given. */
export const compose = (...augs: readonly Augment[]): Augment => {
  if (augs.length === 0) return identityAugment;
  if (augs.length === 1) return augs[0];
  return (key, batch) => {
    const keys = split(key, augs.length);
    return augs.reduce((b, aug, i) => aug(keys[i], b), batch);
  };
};

/** The dimensions of an NCHW batch, or an error naming the augmentation and the shape. */
export const nchw = (who: string, x: Tensor): { readonly n: number; readonly c: number; readonly h: number; readonly w: number } => {
  if (x.shape.length !== 4) throw new Error(`${who}: expects NCHW images (rank 4), got shape ${showShape(x.shape)}`);
  const [n, c, h, w] = x.shape;
  return { n, c, h, w };
};

/** A fresh output buffer like `x` (augmentations write only into buffers they allocate). */
export const like = (x: Tensor): FloatArray => allocate(x.dtype, x.size);
