/** Shape ops: reshape (no copy), transpose, batch slicing, gathering rows, concat and stack. */
import type { FloatArray } from '../kernels/kernels.ts';
import { allocate, sameShape, showShape, sizeOf, wrap, type DType, type Shape, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';

/** Same data, new shape (no copy). One dimension may be -1 to infer it. */
export const reshape = (t: Tensor, shape: Shape): Tensor => {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) throw new Error(`reshape: only one -1 allowed in ${showShape(shape)}`);
  const knownSize = sizeOf(known);
  const resolved = inferred === 1 ? shape.map((d) => (d === -1 ? t.size / knownSize : d)) : shape;
  if (sizeOf(resolved) !== t.size || resolved.some((d) => !Number.isInteger(d))) {
    throw new Error(`reshape: cannot reshape ${showShape(t.shape)} (${t.size} elements) to ${showShape(shape)}`);
  }
  return sameShape(resolved, t.shape) ? t : wrap(unsafeMutableData(t), resolved);
};

/** Flattens all axes after the first: [n, ...] → [n, prod(...)]. */
export const flatten2d = (t: Tensor): Tensor => reshape(t, [t.shape[0], t.size / Math.max(1, t.shape[0])]);

/** Permutes axes (default: reverse them), copying into a new tensor. */
export const transpose = (t: Tensor, axes?: readonly number[]): Tensor => {
  const rank = t.shape.length;
  const perm = axes ?? t.shape.map((_, i) => rank - 1 - i);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((a, i) => a !== i)) {
    throw new Error(`transpose: axes [${perm.join(',')}] are not a permutation for shape ${showShape(t.shape)}`);
  }
  const outShape = perm.map((a) => t.shape[a]);
  const swapped = asBatchedSwap(t.shape, perm);
  if (swapped !== undefined) return wrap(batchedSwap(unsafeMutableData(t), t.dtype, ...swapped), outShape);
  const inStrides = stridesOf(t.shape);
  const src = unsafeMutableData(t);
  const out = allocate(t.dtype, t.size);
  const idx = new Array<number>(rank).fill(0);
  let srcOff = 0;
  for (let o = 0; o < t.size; o++) {
    out[o] = src[srcOff];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      srcOff += inStrides[perm[d]];
      if (idx[d] < outShape[d]) break;
      srcOff -= inStrides[perm[d]] * outShape[d];
      idx[d] = 0;
    }
  }
  return wrap(out, outShape);
};

/**
 * Most transposes in practice (NHWC↔NCHW, matrix transposes) swap two adjacent groups of axes
 * after a leading group: [A, B, C] → [A, C, B]. Returns [A, B, C] when `perm` is such a swap.
 */
const asBatchedSwap = (shape: Shape, perm: readonly number[]): readonly [number, number, number] | undefined => {
  const rank = perm.length;
  let lead = 0;
  while (lead < rank && perm[lead] === lead) lead++;
  if (lead === rank) return undefined;
  const split = perm[lead];
  const secondLen = rank - split;
  // perm must read: 0..lead-1, split..rank-1, lead..split-1
  for (let i = 0; i < secondLen; i++) if (perm[lead + i] !== split + i) return undefined;
  for (let i = 0; i < split - lead; i++) if (perm[lead + secondLen + i] !== lead + i) return undefined;
  return [sizeOf(shape.slice(0, lead)), sizeOf(shape.slice(lead, split)), sizeOf(shape.slice(split))];
};

/** out[a, c, b] = x[a, b, c], in 32×32 tiles so both sides stay in cache. */
const batchedSwap = (x: FloatArray, dtype: DType, a: number, b: number, c: number): FloatArray => {
  const out = allocate(dtype, a * b * c);
  const T = 32;
  for (let ai = 0; ai < a; ai++) {
    const base = ai * b * c;
    for (let b0 = 0; b0 < b; b0 += T) {
      const b1 = Math.min(b, b0 + T);
      for (let c0 = 0; c0 < c; c0 += T) {
        const c1 = Math.min(c, c0 + T);
        for (let bi = b0; bi < b1; bi++) {
          const src = base + bi * c;
          for (let ci = c0; ci < c1; ci++) out[base + ci * b + bi] = x[src + ci];
        }
      }
    }
  }
  return out;
};

/** Row-major element strides of a shape. */
export const stridesOf = (shape: Shape): number[] => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
};

/** Examples start..end-1 along the first axis, sharing data (no copy). */
export const sliceBatch = (t: Tensor, start: number, end: number): Tensor => {
  const n = t.shape[0];
  if (!(start >= 0 && start <= end && end <= n)) {
    throw new Error(`sliceBatch: range [${start}, ${end}) is outside the batch of ${n} (shape ${showShape(t.shape)})`);
  }
  const per = t.size / Math.max(1, n);
  return wrap(unsafeMutableData(t).subarray(start * per, end * per), [end - start, ...t.shape.slice(1)]);
};

/** The examples at `indices` along the first axis, copied in that order. */
export const gather = (t: Tensor, indices: ArrayLike<number>): Tensor => {
  const n = t.shape[0];
  const per = t.size / Math.max(1, n);
  const src = unsafeMutableData(t);
  const out = allocate(t.dtype, indices.length * per);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < n)) throw new Error(`gather: index ${j} is outside the batch of ${n}`);
    out.set(src.subarray(j * per, (j + 1) * per), i * per);
  }
  return wrap(out, [indices.length, ...t.shape.slice(1)]);
};

/** Joins tensors along an existing axis. */
export const concat = (ts: readonly Tensor[], axis = 0): Tensor => {
  if (ts.length === 0) throw new Error('concat: no tensors given');
  const first = ts[0];
  const rank = first.shape.length;
  const ax = axis < 0 ? rank + axis : axis;
  for (const t of ts) {
    if (t.shape.length !== rank || t.dtype !== first.dtype || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new Error(`concat: shapes ${ts.map((x) => showShape(x.shape)).join(', ')} do not match off axis ${ax}`);
    }
  }
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  const total = ts.reduce((s, t) => s + t.shape[ax], 0);
  const out = allocate(first.dtype, outer * total * inner);
  let offset = 0;
  for (const t of ts) {
    const chunk = t.shape[ax] * inner;
    const src = unsafeMutableData(t);
    for (let o = 0; o < outer; o++) out.set(src.subarray(o * chunk, (o + 1) * chunk), o * total * inner + offset);
    offset += chunk;
  }
  return wrap(out, first.shape.map((d, i) => (i === ax ? total : d)));
};

/** Stacks equal-shaped tensors along a new axis. */
export const stack = (ts: readonly Tensor[], axis = 0): Tensor => {
  if (ts.length === 0) throw new Error('stack: no tensors given');
  const shape = ts[0].shape;
  for (const t of ts) {
    if (!sameShape(t.shape, shape)) throw new Error(`stack: shapes ${ts.map((x) => showShape(x.shape)).join(', ')} differ`);
  }
  const ax = axis < 0 ? shape.length + 1 + axis : axis;
  const expanded = ts.map((t) => reshape(t, [...shape.slice(0, ax), 1, ...shape.slice(ax)]));
  return concat(expanded, ax);
};
