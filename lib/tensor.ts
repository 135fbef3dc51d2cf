/**
 * The immutable tensor value: a readonly shape, a dtype and readonly row-major data.
 * A tensor never changes after it is made; every op returns a new one.
 */
import { MAX_TYPED_ARRAY_LENGTH } from './platform/host.ts';

/** A dense float buffer, the storage of a tensor. */
export type FloatArray = Float32Array | Float64Array;

/** Element type of a tensor: float32 for work, float64 for gradient checks. */
export type DType = 'float32' | 'float64';

/** A tensor's dimensions, outermost first. */
export type Shape = readonly number[];

/**
 * What reading a tensor's elements needs, and nothing else: no `subarray`, `buffer` or other
 * road to a writable view, so immutability holds without a cast (backends rely on it: the wasm
 * arena reuses its copy of an output it handed out). `slice`, `map` and `filter` return copies.
 * A Float32Array or Float64Array is one.
 */
export interface ReadonlyFloatArray {
  readonly length: number;
  readonly [index: number]: number;
  [Symbol.iterator](): IterableIterator<number>;
  entries(): IterableIterator<[number, number]>;
  keys(): IterableIterator<number>;
  values(): IterableIterator<number>;
  at(index: number): number | undefined;
  slice(start?: number, end?: number): FloatArray;
  indexOf(value: number, fromIndex?: number): number;
  lastIndexOf(value: number, fromIndex?: number): number;
  includes(value: number, fromIndex?: number): boolean;
  every(predicate: (value: number, index: number, array: ReadonlyFloatArray) => unknown): boolean;
  some(predicate: (value: number, index: number, array: ReadonlyFloatArray) => unknown): boolean;
  forEach(callback: (value: number, index: number, array: ReadonlyFloatArray) => void): void;
  map(callback: (value: number, index: number, array: ReadonlyFloatArray) => number): FloatArray;
  filter(predicate: (value: number, index: number, array: ReadonlyFloatArray) => unknown): FloatArray;
  find(predicate: (value: number, index: number, array: ReadonlyFloatArray) => unknown): number | undefined;
  findIndex(predicate: (value: number, index: number, array: ReadonlyFloatArray) => unknown): number;
  reduce(callback: (previous: number, value: number, index: number, array: ReadonlyFloatArray) => number): number;
  reduce<U>(callback: (previous: U, value: number, index: number, array: ReadonlyFloatArray) => U, initial: U): U;
  reduceRight(callback: (previous: number, value: number, index: number, array: ReadonlyFloatArray) => number): number;
  reduceRight<U>(callback: (previous: U, value: number, index: number, array: ReadonlyFloatArray) => U, initial: U): U;
  join(separator?: string): string;
  toString(): string;
  toLocaleString(): string;
}

/** An immutable n-dimensional array. */
export interface Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly size: number;
  readonly data: ReadonlyFloatArray;
}

/** Number of elements of a shape. */
export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** "[2,3]" for messages. */
export const showShape = (shape: Shape): string => `[${shape.join(',')}]`;

/** Whether two shapes are equal. */
export const sameShape = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

const checkShape = (shape: Shape, where: string): void => {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${where}: invalid shape ${showShape(shape)}`);
  }
};

/** The most elements a typed array holds in this runtime. */
const MAX_ELEMENTS: number = MAX_TYPED_ARRAY_LENGTH;

/** Why `size` elements of `dtype` could not be allocated, naming the shape they were for. */
const allocationError = (where: string, dtype: DType, size: number, shape: Shape, cause: unknown): RangeError => {
  const fits = Number.isSafeInteger(size) && size >= 0 && size <= MAX_ELEMENTS;
  const why = fits
    ? `: ${size * (dtype === 'float64' ? 8 : 4)} bytes could not be allocated (${cause instanceof Error ? cause.message : String(cause)})`
    : `, which no ${dtype} typed array holds (at most ${MAX_ELEMENTS})`;
  return new RangeError(`${where}: shape ${showShape(shape)} has ${size} ${dtype} elements${why}`, { cause });
};

/**
 * Allocates a zeroed buffer of a dtype (kernels write into it, then it is wrapped). A size no typed
 * array holds, or memory that runs out, is a RangeError naming `shape` and the element count; the
 * check costs nothing until the allocation fails.
 */
export const allocate = (dtype: DType, size: number, shape: Shape = [size], where = 'allocate'): FloatArray => {
  try {
    return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
  } catch (err) {
    throw allocationError(where, dtype, size, shape, err);
  }
};

/**
 * Wraps a buffer as a tensor without copying. The caller gives up the buffer: nobody may
 * write to it afterwards (use `fromArray` to copy outside data in).
 */
export const wrap = (data: FloatArray, shape: Shape): Tensor => {
  checkShape(shape, 'tensor');
  const size = sizeOf(shape);
  if (data.length !== size) {
    throw new Error(`tensor: data has ${data.length} elements but shape ${showShape(shape)} needs ${size}`);
  }
  return Object.freeze({
    shape: Object.freeze([...shape]),
    dtype: data instanceof Float64Array ? 'float64' : 'float32',
    size,
    data,
  });
};

/** Copies a typed array or plain numbers into a new tensor of the given shape. */
export const fromArray = (
  values: ArrayLike<number>, shape: Shape, dtype: DType = 'float32',
): Tensor => {
  const data = allocate(dtype, values.length);
  data.set(values as ArrayLike<number>);
  return wrap(data, shape);
};

/** A nested array of numbers, as in `tensor([[1, 2], [3, 4]])`. */
export type Nested = number | readonly Nested[];

const shapeOfNested = (x: Nested): number[] =>
  typeof x === 'number' ? [] : [x.length, ...(x.length > 0 ? shapeOfNested(x[0]) : [])];

/** A tensor from nested arrays; ragged input is refused. */
export const tensor = (values: Nested, dtype: DType = 'float32'): Tensor => {
  const shape = shapeOfNested(values);
  const flat: number[] = [];
  const walk = (x: Nested, depth: number): void => {
    if (typeof x === 'number') {
      if (depth !== shape.length) throw new Error(`tensor: ragged nested array (expected shape ${showShape(shape)})`);
      flat.push(x);
      return;
    }
    if (depth >= shape.length || x.length !== shape[depth]) {
      throw new Error(`tensor: ragged nested array (expected shape ${showShape(shape)})`);
    }
    for (const v of x) walk(v, depth + 1);
  };
  walk(values, 0);
  return fromArray(flat, shape, dtype);
};

const filled = (where: string, shape: Shape, value: number, dtype: DType): Tensor => {
  checkShape(shape, where);
  const data = allocate(dtype, sizeOf(shape), shape, where);
  if (value !== 0) data.fill(value);
  return wrap(data, shape);
};

/** A tensor filled with one value. */
export const full = (shape: Shape, value: number, dtype: DType = 'float32'): Tensor => filled('full', shape, value, dtype);

/** A tensor of zeros. */
export const zeros = (shape: Shape, dtype: DType = 'float32'): Tensor => filled('zeros', shape, 0, dtype);

/** A tensor of ones. */
export const ones = (shape: Shape, dtype: DType = 'float32'): Tensor => filled('ones', shape, 1, dtype);

/** A tensor of zeros shaped like another. */
export const zerosLike = (t: Tensor): Tensor => zeros(t.shape, t.dtype);

/** [start, start+step, ...) below `stop`, as in NumPy's arange. */
export const arange = (start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor => {
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  if (step === 0) throw new Error('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return wrap(data, [n]);
};

/** Casts a tensor to another dtype (returns it unchanged if it already has it). */
export const cast = (t: Tensor, dtype: DType): Tensor =>
  t.dtype === dtype ? t : fromArray(t.data, t.shape, dtype);

/** A plain nested-array copy of a tensor, for printing and tests. */
export const toNested = (t: Tensor): Nested => {
  const build = (offset: number, axis: number): Nested => {
    if (axis === t.shape.length) return t.data[offset];
    const stride = sizeOf(t.shape.slice(axis + 1));
    return Array.from({ length: t.shape[axis] }, (_, i) => build(offset + i * stride, axis + 1));
  };
  return build(0, 0);
};

/** The single value of a one-element tensor. */
export const item = (t: Tensor): number => {
  if (t.size !== 1) throw new Error(`item: tensor of shape ${showShape(t.shape)} has ${t.size} elements, not 1`);
  return t.data[0];
};
