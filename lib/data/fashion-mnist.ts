/**
 * Fashion-MNIST (Zalando's drop-in MNIST replacement), read from the gzipped
 * IDX files of Debian's `dataset-fashion-mnist` package. Same shapes as MNIST:
 * float32 N×1×28×28 images, labels 0..9.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IDX_IMAGE_SIDE, loadIdxSplit, type IdxSplitFiles, type LoadOptions } from './mnist.ts';
import type { DatasetDefinition, Split } from './registry.ts';

/** Where Debian's `dataset-fashion-mnist` installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The Fashion-MNIST file names (gzipped IDX). */
export const FASHION_MNIST_FILES: IdxSplitFiles = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

/** Class names, indexed by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** The message thrown when the dataset is absent (exported so tests can match it). */
export const FASHION_MNIST_INSTALL_HINT = 'install it with: sudo apt-get install dataset-fashion-mnist';

/** Load Fashion-MNIST: 60000 train / 10000 test images, 1×28×28, labels 0..9. Cached per options. */
export function loadFashionMnist(options: LoadOptions = {}): Split {
  const dir = options.dir ?? FASHION_MNIST_DIR;
  // Check up front so a missing package reads as an install hint, not an ENOENT.
  for (const file of Object.values(FASHION_MNIST_FILES)) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new Error(`Fashion-MNIST not found at ${path}; ${FASHION_MNIST_INSTALL_HINT}`);
  }
  return loadIdxSplit('fashion-mnist', dir, FASHION_MNIST_FILES, FASHION_MNIST_CLASSES.length, options.normalize ?? true, options.limits);
}

/** Fashion-MNIST's registry entry: clothes look alike mirrored, so its preset flips. */
export const fashionMnistDataset: DatasetDefinition = {
  name: 'fashion-mnist',
  load: () => loadFashionMnist(),
  imageShape: [1, IDX_IMAGE_SIDE, IDX_IMAGE_SIDE],
  classNames: FASHION_MNIST_CLASSES,
  mirrorSafe: true,
  augmentPreset: [{ name: 'crop' }, { name: 'flip' }],
};
