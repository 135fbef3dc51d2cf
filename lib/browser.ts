/**
 * tenfold for browsers (the `browser` condition of the package's "." export): the same core as
 * index.ts — tensors, ops, layers, optimizers, training, augmentation, ensemble averaging — plus
 * `ready()`, which loads the kernels asynchronously, and what a page needs to get data and
 * weights from bytes. Nothing here reaches Node: file loaders, the worker pool and checkpoint
 * files stay behind the Node entry. See docs/browser.md.
 */
export * from './entry/core.ts';
export * from './models/mlp.ts';
export * from './models/registry.ts';
export * from './optim/schedule-names.ts';
export { compose, identityAugment, type Augment } from './augment/augment.ts';
export { randomCrop } from './augment/crop.ts';
export { horizontalFlip } from './augment/flip.ts';
export { randomAffine, type AffineOptions } from './augment/affine.ts';
export { meanOf, ttaPredict, ttaViews } from './augment/tta.ts';
export { averageProbabilities, majorityVote } from './ensemble/combine.ts';
export { ready, type KernelsInfo, type ReadyOptions } from './kernels/wasm/index.browser.ts';
export { parseMnistAsset, type MnistAsset } from './data/mnist-asset.ts';
export { inkFromRgba, preprocessDigit } from './data/digit-preprocess.ts';
export { parseNpz, parseNpzE } from './data/npz-bytes.ts';
export { decodeModel, encodeModel, MODEL_FORMAT, MODEL_VERSION, type Preprocessing, type SavedModel } from './train/model-bytes.ts';
export { bookNetworks, deepConvNetMapping, loadBookNetwork, loadNpzParams, simpleConvNetMapping, type BookNetwork, type NpzMapping } from './data/book-weights.ts';
