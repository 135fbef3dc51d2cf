/** Labelled examples as tensors, and seeded epoch-wise minibatches. */
import { gather, sliceBatch } from '../ops/shape.ts';
import { permutation, type Key } from '../random.ts';
import { showShape, type Tensor } from '../tensor.ts';

/** Inputs (first axis: examples) with one integer label per example. */
export interface Dataset {
  readonly x: Tensor;
  readonly labels: Int32Array;
}

/** A dataset, checking that inputs and labels agree in count. */
export const dataset = (x: Tensor, labels: ArrayLike<number>): Dataset => {
  if (x.shape.length === 0 || x.shape[0] !== labels.length) {
    throw new Error(`dataset: ${labels.length} labels for inputs of shape ${showShape(x.shape)}`);
  }
  return { x, labels: Int32Array.from(labels) };
};

/** Number of examples. */
export const sizeOfDataset = (d: Dataset): number => d.labels.length;

/** Examples start..end-1 (no copy). */
export const sliceDataset = (d: Dataset, start: number, end: number): Dataset =>
  ({ x: sliceBatch(d.x, start, end), labels: d.labels.subarray(start, end) });

/** Examples at the given indices, copied in that order. */
export const gatherDataset = (d: Dataset, indices: ArrayLike<number>): Dataset => {
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) labels[i] = d.labels[indices[i]];
  return { x: gather(d.x, indices), labels };
};

/** Batches of one epoch: a permutation of the whole set drawn from the key (no sampling with replacement). */
export const epochBatches = function* (d: Dataset, batchSize: number, key: Key): Generator<Dataset> {
  const n = sizeOfDataset(d);
  const order = permutation(key, n);
  for (let start = 0; start < n; start += batchSize) {
    yield gatherDataset(d, order.subarray(start, Math.min(n, start + batchSize)));
  }
};

/** Batches in order, for evaluation. */
export const orderedBatches = function* (d: Dataset, batchSize: number): Generator<Dataset> {
  const n = sizeOfDataset(d);
  for (let start = 0; start < n; start += batchSize) yield sliceDataset(d, start, Math.min(n, start + batchSize));
};

/** Number of batches in an epoch. */
export const batchesPerEpoch = (d: Dataset, batchSize: number): number => Math.ceil(sizeOfDataset(d) / batchSize);
