/** `tenfold/data`: the dataset registry, MNIST and Fashion-MNIST, batching, validation splits, npy/npz/idx files and the book's weights. */
export * from '../data/registry.ts';
export * from '../data/datasets.ts';
export * from '../data/dataset.ts';
export * from '../data/split.ts';
export { loadMnist, mnistDataset, type LoadOptions } from '../data/mnist.ts';
export { loadFashionMnist, fashionMnistDataset, FASHION_MNIST_CLASSES } from '../data/fashion-mnist.ts';
export * from '../data/npy.ts';
export * from '../data/npz.ts';
export { parseIdx, parseIdxE, readIdxFile, readIdxFileE, type IdxArray } from '../data/idx.ts';
export { MAX_ARRAY_BYTES, MAX_TOTAL_BYTES, type ReadLimits } from '../data/limits.ts';
export * from '../data/book-weights.ts';
