/**
 * Named augmentations per dataset: the registry entry says what `default` means and whether
 * flips keep labels (a flipped 2 is no 2); this file turns those names into functions.
 */
import { augmentStepNames, datasetDefinition, isRegistered, unknownDatasetMessage, type AugmentStep } from '../data/registry.ts';
import { reshape } from '../ops/shape.ts';
import { showShape } from '../tensor.ts';
import { compose, type Augment } from './augment.ts';
import { randomAffine } from './affine.ts';
import { randomCrop } from './crop.ts';
import { horizontalFlip } from './flip.ts';

/** Augmentation names the command line accepts: single transforms, the dataset's preset, or none. */
export const augmentNames = [...augmentStepNames, 'default', 'none'] as const;
/** One of `augmentNames`. */
export type AugmentName = (typeof augmentNames)[number];

/** The function of one preset step; omitted parameters are the command line's (crop 2, flip ½, affine ±10° × 0.9–1.1). */
export const augmentOfStep = (s: AugmentStep): Augment => {
  switch (s.name) {
    case 'crop': return randomCrop(s.pad ?? 2);
    case 'flip': return horizontalFlip(s.p ?? 0.5);
    case 'affine': return randomAffine({ maxDegrees: s.maxDegrees ?? 10, scale: s.scale ?? [0.9, 1.1] });
  }
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
 * The augmentation for a registered dataset from a list of names ('default' is its preset; a
 * transform named twice runs once, where first named); undefined when nothing is asked for.
 * Works on NCHW and on flattened batches (viewed as the dataset's images).
 */
export const augmentationFor = (dataset: string, names: readonly AugmentName[]): Augment | undefined => {
  if (!isRegistered(dataset)) throw new Error(`augmentationFor: ${unknownDatasetMessage(dataset)}`);
  const d = datasetDefinition(dataset);
  const steps = names.flatMap((n): readonly AugmentStep[] => {
    if (n === 'default') return d.augmentPreset;
    if (n === 'none') return [];
    if (!(augmentStepNames as readonly string[]).includes(n)) throw new Error(`augmentationFor: unknown augmentation "${n}" (known: ${augmentNames.join(', ')})`);
    return [{ name: n }];
  });
  const unique = steps.filter((s, i) => steps.findIndex((t) => t.name === s.name) === i);
  if (unique.some((s) => s.name === 'flip') && !d.mirrorSafe) {
    throw new Error(`augmentationFor: "flip" does not preserve ${dataset} labels (its images are not mirror-symmetric)`);
  }
  if (unique.length === 0) return undefined;
  return onImages(d.imageShape, compose(...unique.map(augmentOfStep)));
};
