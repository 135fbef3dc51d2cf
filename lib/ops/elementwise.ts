/** Elementwise ops with NumPy broadcasting, all through the kernels. */
import { kernelsFor, outputBuffer } from '../kernels/backend.ts';
import type { BinaryOp, UnaryOp } from '../kernels/kernels.ts';
import { allocate, full, sameShape, showShape, sizeOf, wrap, type Shape, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { stridesOf } from './shape.ts';

/** The broadcast shape of two shapes, or an error naming the op and both shapes. */
export const broadcastShapes = (op: string, a: Shape, b: Shape): Shape => {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${showShape(a)} and ${showShape(b)} cannot be broadcast together`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
};

/** Strides of `shape` seen through the broadcast `outShape` (0 on stretched axes). */
const broadcastStrides = (shape: Shape, outShape: Shape): number[] => {
  const s = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : s[i - lead]));
};

const checkDtypes = (op: string, a: Tensor, b: Tensor): void => {
  if (a.dtype !== b.dtype) throw new Error(`${op}: dtypes ${a.dtype} and ${b.dtype} differ (cast one first)`);
};

/** Applies a binary op elementwise with broadcasting. */
export const binary = (op: BinaryOp, a: Tensor, b: Tensor): Tensor => {
  checkDtypes(op, a, b);
  const k = kernelsFor(a.dtype);
  const outShape = broadcastShapes(op, a.shape, b.shape);
  const out = outputBuffer(a.dtype, sizeOf(outShape));
  const last = a.shape[a.shape.length - 1];
  if (op === 'add' && sameShape(a.shape, outShape) && b.shape.length === 1 && b.shape[0] === last && last > 0) {
    k.addRowVector(unsafeMutableData(a), unsafeMutableData(b), a.size / last, last, out);
  } else {
    k.binary({
      op, a: unsafeMutableData(a), aStrides: broadcastStrides(a.shape, outShape), b: unsafeMutableData(b),
      bStrides: broadcastStrides(b.shape, outShape), outShape, out,
    });
  }
  return wrap(out, outShape);
};

/** Applies a unary op elementwise. */
export const unary = (op: UnaryOp, x: Tensor): Tensor => {
  const out = outputBuffer(x.dtype, x.size);
  kernelsFor(x.dtype).unary(op, unsafeMutableData(x), out);
  return wrap(out, x.shape);
};

const scalarOrTensor = (x: Tensor, v: Tensor | number): Tensor =>
  typeof v === 'number' ? full([], v, x.dtype) : v;

/** a + b (broadcasting; b may be a number). */
export const add = (a: Tensor, b: Tensor | number): Tensor =>
  typeof b === 'number' ? scaleShift(a, 1, b) : binary('add', a, b);
/** a − b (broadcasting; b may be a number). */
export const sub = (a: Tensor, b: Tensor | number): Tensor =>
  typeof b === 'number' ? scaleShift(a, 1, -b) : binary('sub', a, b);
/** a · b elementwise (broadcasting; b may be a number). */
export const mul = (a: Tensor, b: Tensor | number): Tensor =>
  typeof b === 'number' ? scaleShift(a, b, 0) : binary('mul', a, b);
/** a / b elementwise (broadcasting; b may be a number). */
export const div = (a: Tensor, b: Tensor | number): Tensor => binary('div', a, scalarOrTensor(a, b));
/** Elementwise maximum. */
export const maximum = (a: Tensor, b: Tensor | number): Tensor => binary('max', a, scalarOrTensor(a, b));
/** Elementwise minimum. */
export const minimum = (a: Tensor, b: Tensor | number): Tensor => binary('min', a, scalarOrTensor(a, b));
/** Elementwise power. */
export const pow = (a: Tensor, b: Tensor | number): Tensor => binary('pow', a, scalarOrTensor(a, b));
/** 1 where a > b, else 0. */
export const greater = (a: Tensor, b: Tensor | number): Tensor => binary('greater', a, scalarOrTensor(a, b));
/** 1 where a = b, else 0. */
export const equal = (a: Tensor, b: Tensor | number): Tensor => binary('equal', a, scalarOrTensor(a, b));

/** x·s + t elementwise, in one pass. */
export const scaleShift = (x: Tensor, s: number, t: number): Tensor => {
  const out = outputBuffer(x.dtype, x.size);
  kernelsFor(x.dtype).scaleShift(unsafeMutableData(x), s, t, out);
  return wrap(out, x.shape);
};

/** −x. */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** |x|. */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** eˣ. */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** ln x. */
export const log = (x: Tensor): Tensor => unary('log', x);
/** √x. */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** x². */
export const square = (x: Tensor): Tensor => unary('square', x);
/** sign(x) ∈ {−1, 0, 1}. */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/** x with its subnormal values (of its dtype) set to 0: for state that decays geometrically. */
export const flushSubnormal = (x: Tensor): Tensor => unary('flushSubnormal', x);

/** Elementwise function of one tensor in plain TypeScript (for rare, light ops). */
export const map = (x: Tensor, f: (v: number, i: number) => number): Tensor => {
  const out = allocate(x.dtype, x.size);
  const src = unsafeMutableData(x);
  for (let i = 0; i < x.size; i++) out[i] = f(src[i], i);
  return wrap(out, x.shape);
};
