/** Sliding-window geometry shared by convolution and pooling: sizes, strides, padding, output shapes. */
import { windowOutput, type Window2D } from '../kernels/kernels.ts';
import { showShape, type Shape } from '../tensor.ts';

/** A size given once for both axes, or as [height, width]. */
export type Pair = number | readonly [number, number];

/** [h, w] from a number or a pair, checked to be integers ≥ `min`. */
export const pairOf = (where: string, what: string, v: Pair, min: number): readonly [number, number] => {
  const p: readonly [number, number] = typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new Error(`${where}: ${what} must be a whole number ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
};

/** A window's size, stride and padding, without the input it slides over. */
export interface WindowSpec {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly pad: readonly [number, number];
}

/** The geometry of a window over an NCHW input shape, or an error naming both when it does not fit. */
export const windowOver = (where: string, spec: WindowSpec, n: number, chw: Shape): Window2D => {
  if (chw.length !== 3) throw new Error(`${where}: needs per-example input [C,H,W], got ${showShape(chw)}`);
  const [c, h, w] = chw;
  const g: Window2D = {
    n, c, h, w, kh: spec.kernel[0], kw: spec.kernel[1],
    strideH: spec.stride[0], strideW: spec.stride[1], padH: spec.pad[0], padW: spec.pad[1],
  };
  if (h + 2 * g.padH < g.kh || w + 2 * g.padW < g.kw) {
    throw new Error(`${where}: a ${g.kh}×${g.kw} window does not fit input ${showShape(chw)} with padding [${g.padH},${g.padW}]`);
  }
  return g;
};

/** Per-example output shape [C', OH, OW] of a window with `channels` outputs. */
export const windowOutputShape = (g: Window2D, channels: number): Shape => {
  const { oh, ow } = windowOutput(g);
  return [channels, oh, ow];
};
