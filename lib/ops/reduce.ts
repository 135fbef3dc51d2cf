/** Reductions along an axis (or over everything): sum, mean, max, min, argmax. */
import { kernelsFor } from '../kernels/backend.ts';
import type { ReduceOp } from '../kernels/kernels.ts';
import { allocate, showShape, sizeOf, wrap, type Shape, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';

const normaliseAxis = (op: string, shape: Shape, axis: number): number => {
  const ax = axis < 0 ? shape.length + axis : axis;
  if (!(ax >= 0 && ax < shape.length)) throw new Error(`${op}: axis ${axis} is out of range for shape ${showShape(shape)}`);
  return ax;
};

const reduceAxis = (op: ReduceOp, name: string, x: Tensor, axis: number | undefined, keepDims: boolean): Tensor => {
  if (axis === undefined) {
    const flat = wrap(unsafeMutableData(x), [x.size]);
    const r = reduceAxis(op, name, flat, 0, false);
    return keepDims ? wrap(unsafeMutableData(r), x.shape.map(() => 1)) : r;
  }
  const ax = normaliseAxis(name, x.shape, axis);
  if (x.shape[ax] === 0 && op !== 'sum') throw new Error(`${name}: cannot reduce an empty axis ${ax} of ${showShape(x.shape)}`);
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const out = allocate(x.dtype, outer * inner);
  kernelsFor(x.dtype).reduce(op, unsafeMutableData(x), outer, x.shape[ax], inner, out);
  const shape = keepDims ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  return wrap(out, shape);
};

/** Sum along an axis (all axes when omitted). */
export const sum = (x: Tensor, axis?: number, keepDims = false): Tensor => reduceAxis('sum', 'sum', x, axis, keepDims);

/** Mean along an axis (all axes when omitted). */
export const mean = (x: Tensor, axis?: number, keepDims = false): Tensor => {
  const s = reduceAxis('sum', 'mean', x, axis, keepDims);
  const count = axis === undefined ? x.size : x.shape[normaliseAxis('mean', x.shape, axis)];
  const out = allocate(x.dtype, s.size);
  kernelsFor(x.dtype).scaleShift(unsafeMutableData(s), 1 / count, 0, out);
  return wrap(out, s.shape);
};

/** Maximum along an axis (all axes when omitted). */
export const max = (x: Tensor, axis?: number, keepDims = false): Tensor => reduceAxis('max', 'max', x, axis, keepDims);

/** Minimum along an axis (all axes when omitted). */
export const min = (x: Tensor, axis?: number, keepDims = false): Tensor => reduceAxis('min', 'min', x, axis, keepDims);

/** Index of the first maximum along an axis (default: the last), as an Int32Array in row-major order. */
export const argmax = (x: Tensor, axis = -1): Int32Array => {
  const ax = normaliseAxis('argmax', x.shape, axis);
  if (x.shape[ax] === 0) throw new Error(`argmax: empty axis ${ax} of ${showShape(x.shape)}`);
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const out = new Int32Array(outer * inner);
  kernelsFor(x.dtype).argmax(unsafeMutableData(x), outer, x.shape[ax], inner, out);
  return out;
};
