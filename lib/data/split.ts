/** A validation split held out of a training set: stratified by class, seeded, the same for the same key. */
import { permutation, type Key } from '../random.ts';
import { sizeOf } from '../tensor.ts';
import { byteDataset, gatherDataset, sizeOfDataset, type ByteDataset, type Examples } from './dataset.ts';

/** A training set with `count` examples held out for validation. */
export interface ValidationSplit<E extends Examples> {
  readonly train: E;
  readonly validation: E;
}

/**
 * How many examples of each class go to validation: proportional to the class's share of the
 * set, rounded so that the counts add up to `count` (largest remainders first, ties to the lower class).
 */
export const stratifiedCounts = (labels: ArrayLike<number>, count: number): readonly number[] => {
  const classes = 1 + Array.from(labels).reduce((m, l) => Math.max(m, l), -1);
  const perClass = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) perClass[labels[i]]++;
  const exact = perClass.map((n) => (n * count) / Math.max(1, labels.length));
  const taken = exact.map(Math.floor);
  const order = exact.map((e, c) => [e - Math.floor(e), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0, left = count - taken.reduce((a, b) => a + b, 0); k < order.length && left > 0; k++, left--) taken[order[k][1]]++;
  return taken;
};

const pick = <E extends Examples>(d: E, indices: Int32Array): E => {
  if ('x' in d) return gatherDataset(d, indices) as E;
  const b = d as ByteDataset;
  const per = b.bytes.length / Math.max(1, b.labels.length);
  const bytes = new Uint8Array(indices.length * per);
  indices.forEach((j, i) => bytes.set(b.bytes.subarray(j * per, (j + 1) * per), i * per));
  const shape = [indices.length, ...b.shape.slice(1)];
  if (sizeOf(shape) !== bytes.length) throw new Error('splitValidation: bytes do not match the shape');
  return byteDataset(bytes, shape, b.table, Array.from(indices, (j) => b.labels[j])) as E;
};

/**
 * Holds out `count` examples of `d` for validation, stratified by label and drawn with `key`.
 * Both parts keep the original order of their examples; every example is in exactly one.
 */
export const splitValidation = <E extends Examples>(d: E, count: number, key: Key): ValidationSplit<E> => {
  const n = sizeOfDataset(d);
  if (!Number.isInteger(count) || count < 1 || count >= n) {
    throw new Error(`splitValidation: the validation set must hold 1 to ${n - 1} of the ${n} examples, got ${count}`);
  }
  const want = [...stratifiedCounts(d.labels, count)];
  const held = new Uint8Array(n);
  // walk a seeded permutation, taking each example while its class still needs some
  for (const i of permutation(key, n)) {
    const c = d.labels[i];
    if (want[c] > 0) { want[c]--; held[i] = 1; }
  }
  const indices = (flag: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i).filter((i) => held[i] === flag);
  return { train: pick(d, indices(0)), validation: pick(d, indices(1)) };
};
