/**
 * tenfold for browsers (the `browser` condition of the package's "." export): the same core as
 * index.ts — tensors, ops, layers, optimizers, training, augmentation, ensemble averaging — plus
 * `ready()`, which loads the kernels asynchronously, and what a page needs to get data and
 * weights from bytes. Nothing here reaches Node: file loaders, the worker pool and checkpoint
 * files stay behind the Node entry. See docs/browser.md.
 */
export * from './tensor.ts';
export * from './random.ts';
export * from './ops/shape.ts';
export * from './ops/elementwise.ts';
export * from './ops/reduce.ts';
export * from './ops/linalg.ts';
export * from './ops/activations.ts';
export * from './losses.ts';
export * from './tree.ts';
export * from './layers/init.ts';
export * from './gradcheck.ts';
export * from './layers/describe.ts';
export * from './layers/layer.ts';
export * from './layers/errors.ts';
export * from './layers/affine.ts';
export * from './layers/activations.ts';
export * from './layers/sequential.ts';
export * from './optim/transform.ts';
export * from './optim/transforms.ts';
export * from './optim/schedules.ts';
export * from './optim/optimizers.ts';
export * from './data/dataset.ts';
export * from './train/model.ts';
export * from './train/fit.ts';
export * from './train/hash.ts';
export { activeKernels, setKernels, kernelsFor } from './kernels/backend.ts';
export { referenceKernels } from './kernels/reference.ts';
export type { Kernels, FloatArray, Window2D } from './kernels/kernels.ts';
export * from './layers/window.ts';
export * from './layers/conv.ts';
export * from './layers/pooling.ts';
export * from './layers/flatten.ts';
export * from './layers/batchnorm.ts';
export * from './layers/dropout.ts';
export * from './layers/residual.ts';
export * from './models/convnets.ts';
export * from './models/deep-mlp.ts';
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
