/** Turns loaded image splits into training datasets of tensors, by name. */
import { wrap } from '../tensor.ts';
import { dataset, type Dataset } from '../train/dataset.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { loadMnist, type LabeledImages, type Split } from './mnist.ts';

/** Dataset names the command line accepts. */
export const datasetNames = ['mnist', 'fashion-mnist'] as const;
/** One of `datasetNames`. */
export type DatasetName = (typeof datasetNames)[number];

/** Train and test sets as tensors, images NCHW or flattened. */
export interface TrainTest {
  readonly name: string;
  readonly train: Dataset;
  readonly test: Dataset;
  readonly classes: number;
  /** Per-example input shape, e.g. [1, 28, 28] or [784]. */
  readonly inputShape: readonly number[];
}

const toDataset = (half: LabeledImages, flatten: boolean): Dataset => {
  const perImage = half.channels * half.height * half.width;
  const shape = flatten ? [half.count, perImage] : [half.count, half.channels, half.height, half.width];
  return dataset(wrap(half.images, shape), half.labels);
};

/** Tensors from a loaded split (images shared, not copied: they are never written). */
export const fromSplit = (split: Split, flatten = false): TrainTest => ({
  name: split.name,
  train: toDataset(split.train, flatten),
  test: toDataset(split.test, flatten),
  classes: split.classes,
  inputShape: flatten
    ? [split.train.channels * split.train.height * split.train.width]
    : [split.train.channels, split.train.height, split.train.width],
});

/** Loads a dataset by name, pixels in [0, 1]. */
export const loadDataset = (name: DatasetName, flatten = false): TrainTest =>
  fromSplit(name === 'mnist' ? loadMnist() : loadFashionMnist(), flatten);
