/**
 * Reference fused convolution, image by image on the reference im2col/gemm/col2im: with
 * cols_n = im2col(x_n) (P × CKK, P = oh·ow, CKK = c·kh·kw), y_n = W · cols_nᵀ + b is F × P,
 * which is already the NCHW layout of image n; backward dW = Σ_n dy_n · cols_n,
 * db = row sums of dy_n, dx_n = col2im(dy_nᵀ · W).
 */
import {
  poolOverOutput, windowOutput,
  type Conv2dBackwardArgs, type Conv2dForwardArgs, type Conv2dPoolBackwardArgs, type Conv2dPoolForwardArgs, type FloatArray,
  type Kernels, type Window2D,
} from './kernels.ts';

/** The reference kernels the convolution is made of (passed in to avoid an import cycle). */
export type ConvParts = Pick<Kernels, 'gemm' | 'im2col' | 'col2im' | 'maxPool'>;

/** A zeroed buffer of the same element type as `like`. */
const zerosLike = (like: FloatArray, n: number): FloatArray =>
  like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);

/** Sizes of one image of the window `g` and its output. */
const sizes = (g: Window2D): { one: Window2D; p: number; ckk: number; chw: number } => {
  const { oh, ow } = windowOutput(g);
  return { one: { ...g, n: 1 }, p: oh * ow, ckk: g.c * g.kh * g.kw, chw: g.c * g.h * g.w };
};

/** See Kernels.conv2dForward. */
export const conv2dForward = (k: ConvParts, { x, w, bias, g, filters, relu, out }: Conv2dForwardArgs): void => {
  const { one, p, ckk, chw } = sizes(g);
  if (p === 0 || filters === 0) return;
  const cols = zerosLike(x, p * ckk);
  const y = zerosLike(x, filters * p);
  for (let n = 0; n < g.n; n++) {
    cols.fill(0);
    k.im2col(x.subarray(n * chw, (n + 1) * chw), one, cols);
    y.fill(0);
    k.gemm({ transA: false, transB: true, m: filters, n: p, k: ckk, a: w, b: cols, out: y });
    const o = n * filters * p;
    for (let f = 0; f < filters; f++) {
      const b = bias[f];
      for (let j = 0; j < p; j++) {
        const v = y[f * p + j] + b;
        out[o + f * p + j] = relu && !(v > 0) ? 0 : v;
      }
    }
  }
};

/** See Kernels.conv2dBackward. */
export const conv2dBackward = (k: ConvParts, { x, w, dy, g, filters, reluOutput, outDx, outDw, outDb }: Conv2dBackwardArgs): void => {
  const { one, p, ckk, chw } = sizes(g);
  // dW and db are sums over the images, dx a sum over the taps (col2im): all start at zero
  outDw.fill(0);
  outDb.fill(0);
  if (p <= 0 || filters === 0) {
    outDx?.fill(0);
    return;
  }
  if (reluOutput !== undefined) {
    // the fused ReLU's gradient: dy passes where the output is positive
    const masked = zerosLike(dy, dy.length);
    for (let i = 0; i < dy.length; i++) masked[i] = reluOutput[i] > 0 ? dy[i] : 0;
    dy = masked;
  }
  const cols = zerosLike(x, p * ckk);
  const dw = zerosLike(x, filters * ckk);
  const dcols = zerosLike(x, p * ckk);
  for (let n = 0; n < g.n; n++) {
    const dyn = dy.subarray(n * filters * p, (n + 1) * filters * p);
    for (let f = 0; f < filters; f++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += dyn[f * p + j];
      outDb[f] += s;
    }
    cols.fill(0);
    k.im2col(x.subarray(n * chw, (n + 1) * chw), one, cols);
    dw.fill(0);
    k.gemm({ transA: false, transB: false, m: filters, n: ckk, k: p, a: dyn, b: cols, out: dw });
    for (let i = 0; i < dw.length; i++) outDw[i] += dw[i];
    if (outDx === undefined) continue;
    dcols.fill(0);
    k.gemm({ transA: true, transB: false, m: p, n: ckk, k: filters, a: dyn, b: w, out: dcols });
    k.col2im(dcols, one, outDx.subarray(n * chw, (n + 1) * chw));
  }
};

/** See Kernels.conv2dPoolForward: the full convolution output, then max pooling over it. */
export const conv2dPoolForward = (k: ConvParts, { x, w, bias, g, filters, relu, pool, out, argmax }: Conv2dPoolForwardArgs): void => {
  const { p } = sizes(g);
  const full = zerosLike(x, g.n * filters * p);
  conv2dForward(k, { x, w, bias, g, filters, relu, out: full });
  k.maxPool({ x: full, g: poolOverOutput(g, filters, pool), out, argmax });
};

/** See Kernels.conv2dPoolBackward: dy routed to the maxima (ReLU-masked), then conv2dBackward. */
export const conv2dPoolBackward = (k: ConvParts,
  { x, w, dy, argmax, reluPooled, g, filters, outDx, outDw, outDb }: Conv2dPoolBackwardArgs): void => {
  const { p } = sizes(g);
  const full = zerosLike(dy, g.n * filters * p);
  for (let i = 0; i < dy.length; i++) {
    if (argmax[i] >= 0 && (reluPooled === undefined || reluPooled[i] > 0)) full[argmax[i]] += dy[i];
  }
  conv2dBackward(k, { x, w, dy: full, g, filters, outDx, outDw, outDb });
};
