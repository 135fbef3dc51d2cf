/**
 * Named augmentations per dataset. Digits are not mirror-symmetric (a flipped 2 is no 2),
 * so MNIST never gets flips; Fashion-MNIST clothes are, so it does.
 */
import { reshape } from '../ops/shape.ts';
import { showShape } from '../tensor.ts';
import { compose, type Augment } from './augment.ts';
import { randomAffine } from './affine.ts';
import { randomCrop } from './crop.ts';
import { horizontalFlip } from './flip.ts';

/** Augmentation names the command line accepts: single transforms, the dataset's preset, or none. */
export const augmentNames = ['crop', 'flip', 'affine', 'default', 'none'] as const;
/** One of `augmentNames`. */
export type AugmentName = (typeof augmentNames)[number];

const mirrorSafe: Readonly<Record<string, boolean>> = { mnist: false, 'fashion-mnist': true };
const presets: Readonly<Record<string, readonly AugmentName[]>> = { mnist: ['crop', 'affine'], 'fashion-mnist': ['crop', 'flip'] };

const single: Readonly<Record<'crop' | 'flip' | 'affine', () => Augment>> = {
  crop: () => randomCrop(2),
  flip: () => horizontalFlip(0.5),
  affine: () => randomAffine({ maxDegrees: 10, scale: [0.9, 1.1] }),
};

/** Runs an NCHW augmentation on flat batches (N, C·H·W) by viewing them as images of `image` (C, H, W). */
export const onImages = (image: readonly number[], aug: Augment): Augment => {
  if (image.length !== 3) throw new Error(`onImages: image shape must be [C, H, W], got ${showShape(image)}`);
  return (key, batch) => {
    if (batch.x.shape.length === 4) return aug(key, batch);
    const out = aug(key, { x: reshape(batch.x, [batch.x.shape[0], ...image]), labels: batch.labels });
    return { x: reshape(out.x, batch.x.shape), labels: out.labels };
  };
};

/**
 * The augmentation for a dataset from a list of names ('default' is the dataset's preset);
 * undefined when nothing is asked for. `image` (C, H, W) lets it work on flattened inputs.
 */
export const augmentationFor = (dataset: string, names: readonly AugmentName[], image?: readonly number[]): Augment | undefined => {
  if (!(dataset in mirrorSafe)) throw new Error(`augmentationFor: unknown dataset "${dataset}" (known: ${Object.keys(mirrorSafe).join(', ')})`);
  const expanded = [...new Set(names.flatMap((n) => (n === 'default' ? presets[dataset] : n === 'none' ? [] : [n])))];
  if (expanded.includes('flip') && !mirrorSafe[dataset]) {
    throw new Error(`augmentationFor: "flip" does not preserve ${dataset} labels (mirrored digits are not digits)`);
  }
  const augs = expanded.map((n) => {
    if (n !== 'crop' && n !== 'flip' && n !== 'affine') throw new Error(`augmentationFor: unknown augmentation "${n}" (known: ${augmentNames.join(', ')})`);
    return single[n]();
  });
  if (augs.length === 0) return undefined;
  const aug = compose(...augs);
  return image === undefined ? aug : onImages(image, aug);
};
