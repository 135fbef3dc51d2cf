/** Turns loaded image splits into datasets, by name. */
import { byteDataset, type ByteDataset } from './dataset.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { loadMnist, type LabeledImages, type Split } from './mnist.ts';

/** Dataset names the command line accepts. */
export const datasetNames = ['mnist', 'fashion-mnist'] as const;
/** One of `datasetNames`. */
export type DatasetName = (typeof datasetNames)[number];

/**
 * Train and test sets, images NCHW or flattened, kept as bytes and read a batch at a time as
 * floats (`toFloatDataset` converts a whole set, e.g. for a report's image grid).
 */
export interface TrainTest {
  readonly name: string;
  readonly train: ByteDataset;
  readonly test: ByteDataset;
  readonly classes: number;
  /** Per-example input shape, e.g. [1, 28, 28] or [784]. */
  readonly inputShape: readonly number[];
}

const shapeOf = (half: LabeledImages, flatten: boolean): number[] => {
  const perImage = half.channels * half.height * half.width;
  return flatten ? [half.count, perImage] : [half.count, half.channels, half.height, half.width];
};

/** Datasets from a loaded split (training bytes shared, not copied: they are never written). */
export const fromSplit = (split: Split, flatten = false): TrainTest => ({
  name: split.name,
  train: byteDataset(split.train.pixels, shapeOf(split.train, flatten), split.train.table, split.train.labels),
  test: byteDataset(split.test.pixels, shapeOf(split.test, flatten), split.test.table, split.test.labels),
  classes: split.classes,
  inputShape: flatten
    ? [split.train.channels * split.train.height * split.train.width]
    : [split.train.channels, split.train.height, split.train.width],
});

/** Loads a dataset by name, pixels in [0, 1]. */
export const loadDataset = (name: DatasetName, flatten = false): TrainTest =>
  fromSplit(name === 'mnist' ? loadMnist() : loadFashionMnist(), flatten);
