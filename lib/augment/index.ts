/** Data augmentation: random crops, flips and affine warps, presets per dataset, test-time views. */
export { compose, identityAugment, type Augment } from './augment.ts';
export { randomCrop } from './crop.ts';
export { horizontalFlip } from './flip.ts';
export { randomAffine, type AffineOptions } from './affine.ts';
export { augmentationFor, augmentNames, augmentOfStep, onImages, type AugmentName } from './presets.ts';
export { meanOf, ttaPredict, ttaViews } from './tta.ts';
