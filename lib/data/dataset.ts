/** Labelled examples (as float tensors or compact bytes), and seeded epoch-wise minibatches. */
import { activeKernels, outputBuffer } from '../kernels/backend.ts';
import { gather, sliceBatch } from '../ops/shape.ts';
import { permutation, type Key } from '../random.ts';
import { showShape, sizeOf, wrap, type Shape, type Tensor } from '../tensor.ts';

/** Inputs as a float tensor (first axis: examples) with one integer label per example. */
export interface Dataset {
  readonly x: Tensor;
  readonly labels: Int32Array;
}

/**
 * Examples kept as bytes (a quarter of the memory of float32) and turned into floats one batch
 * at a time through a 256-entry table, so a batch's values equal a whole-set conversion's.
 */
export interface ByteDataset {
  readonly bytes: Uint8Array;
  /** Shape of the whole set, first axis: examples. */
  readonly shape: Shape;
  /** Float value of each byte value. */
  readonly table: Float32Array;
  readonly labels: Int32Array;
}

/** Anything batches can be drawn from. */
export type Examples = Dataset | ByteDataset;

/** A dataset, checking that inputs and labels agree in count. */
export const dataset = (x: Tensor, labels: ArrayLike<number>): Dataset => {
  if (x.shape.length === 0 || x.shape[0] !== labels.length) {
    throw new Error(`dataset: ${labels.length} labels for inputs of shape ${showShape(x.shape)}`);
  }
  return { x, labels: Int32Array.from(labels) };
};

/** A byte-backed dataset, checking sizes; `table` maps each byte to its float value. */
export const byteDataset = (bytes: Uint8Array, shape: Shape, table: Float32Array, labels: ArrayLike<number>): ByteDataset => {
  if (shape.length === 0 || shape[0] !== labels.length || sizeOf(shape) !== bytes.length) {
    throw new Error(`byteDataset: ${bytes.length} bytes and ${labels.length} labels for shape ${showShape(shape)}`);
  }
  if (table.length !== 256) throw new Error(`byteDataset: the table has ${table.length} entries, expected 256`);
  return { bytes, shape, table, labels: Int32Array.from(labels) };
};

const isFloat = (d: Examples): d is Dataset => 'x' in d;

/** Number of examples. */
export const sizeOfDataset = (d: Examples): number => d.labels.length;

/** Bytes per example. */
const bytesPerExample = (d: ByteDataset): number => d.bytes.length / Math.max(1, d.labels.length);

/** Float values of the byte examples at `rows` (in that order), through the decoding kernel. */
const decodeRows = (d: ByteDataset, rows: ArrayLike<number>): Tensor => {
  const n = d.shape[0];
  for (let i = 0; i < rows.length; i++) {
    if (!(rows[i] >= 0 && rows[i] < n)) throw new Error(`gather: index ${rows[i]} is outside the batch of ${n}`);
  }
  const rowBytes = bytesPerExample(d);
  // written whole by the kernel: no zero-fill needed
  const out = outputBuffer('float32', rows.length * rowBytes) as Float32Array;
  activeKernels().decodeRows({ bytes: d.bytes, rowBytes, rows, table: d.table, out });
  return wrap(out, [rows.length, ...d.shape.slice(1)]);
};

/** The numbers start..end-1. */
const range = (start: number, end: number): Int32Array => Int32Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);

/** Examples start..end-1 as floats (a view, without copying, for a float dataset). */
export const sliceDataset = (d: Examples, start: number, end: number): Dataset => {
  if (isFloat(d)) return { x: sliceBatch(d.x, start, end), labels: d.labels.subarray(start, end) };
  if (!(start >= 0 && start <= end && end <= d.labels.length)) {
    throw new Error(`sliceDataset: range [${start}, ${end}) is outside the ${d.labels.length} examples`);
  }
  return { x: decodeRows(d, range(start, end)), labels: d.labels.subarray(start, end) };
};

/** Examples at the given indices, copied (as floats) in that order. */
export const gatherDataset = (d: Examples, indices: ArrayLike<number>): Dataset => {
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) labels[i] = d.labels[indices[i]];
  return { x: isFloat(d) ? gather(d.x, indices) : decodeRows(d, indices), labels };
};

/** The first n examples (at most all), of the same kind and without copying. */
export const headOfDataset = (d: Examples, n: number): Examples => {
  const count = Math.max(0, Math.min(n, d.labels.length));
  if (isFloat(d)) return sliceDataset(d, 0, count);
  const per = bytesPerExample(d);
  return { ...d, bytes: d.bytes.subarray(0, count * per), shape: [count, ...d.shape.slice(1)], labels: d.labels.subarray(0, count) };
};

/** All examples as floats (the dataset itself when it already is one). */
export const toFloatDataset = (d: Examples): Dataset => (isFloat(d) ? d : sliceDataset(d, 0, d.labels.length));

/** Batches of one epoch: a permutation of the whole set drawn from the key (no sampling with replacement). */
export const epochBatches = function* (d: Examples, batchSize: number, key: Key): Generator<Dataset> {
  const n = sizeOfDataset(d);
  const order = permutation(key, n);
  for (let start = 0; start < n; start += batchSize) {
    yield gatherDataset(d, order.subarray(start, Math.min(n, start + batchSize)));
  }
};

/** Batches in order, for evaluation. */
export const orderedBatches = function* (d: Examples, batchSize: number): Generator<Dataset> {
  const n = sizeOfDataset(d);
  for (let start = 0; start < n; start += batchSize) yield sliceDataset(d, start, Math.min(n, start + batchSize));
};

/** Number of batches in an epoch. */
export const batchesPerEpoch = (d: Examples, batchSize: number): number => Math.ceil(sizeOfDataset(d) / batchSize);
