/**
 * The kernel seam: every piece of heavy math in tenfold goes through a `Kernels` value.
 *
 * Contract shared by all implementations:
 * - Buffers are dense, row-major, and either all Float32Array or all Float64Array in one call.
 * - A kernel writes only into `out` (and other `out*` arguments), which the caller has just
 *   allocated (zero-filled) and nobody else has seen yet; it never writes into an input.
 * - Outputs never alias inputs.
 * - After the call nobody writes `out` again (it becomes a readonly tensor): a backend may keep
 *   its own copy and skip copying it back in when a later call takes that very array as an input.
 *   Nothing checks this: writing to an output afterwards (through a cast) is undefined behaviour.
 */

import type { FloatArray } from '../tensor.ts';
export type { FloatArray } from '../tensor.ts';

/** Elementwise functions of one argument. */
export type UnaryOp =
  | 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'square' | 'reciprocal' | 'sign'
  | 'relu' | 'sigmoid' | 'tanh' | 'step';

/** Elementwise functions of two arguments. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'pow' | 'greater' | 'equal';

/** Reductions along one axis. */
export type ReduceOp = 'sum' | 'max' | 'min';

/** Geometry of a 2-D sliding window over NCHW input (convolution, pooling). */
export interface Window2D {
  readonly n: number; readonly c: number; readonly h: number; readonly w: number;
  readonly kh: number; readonly kw: number;
  readonly strideH: number; readonly strideW: number;
  readonly padH: number; readonly padW: number;
}

/** The pooling window over a convolution's output: pool×pool, stride pool, no padding. */
export const poolOverOutput = (g: Window2D, filters: number, pool: number): Window2D => {
  const { oh, ow } = windowOutput(g);
  return { n: g.n, c: filters, h: oh, w: ow, kh: pool, kw: pool, strideH: pool, strideW: pool, padH: 0, padW: 0 };
};

/** Output height/width of a sliding window. */
export const windowOutput = (g: Window2D): { readonly oh: number; readonly ow: number } => ({
  oh: Math.floor((g.h + 2 * g.padH - g.kh) / g.strideH) + 1,
  ow: Math.floor((g.w + 2 * g.padW - g.kw) / g.strideW) + 1,
});

/** Hyper-parameters of one fused Adam step (bias correction folded into `stepSize` and `eps`). */
export interface AdamStep {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Multiplies m̂/(√v̂+ε); negative for descent, e.g. -lr·√(1-β2ᵗ)/(1-β1ᵗ). */
  readonly stepSize: number;
}

/** An empty argmax for the max-pooling kernels: nobody needs the positions (inference), so they are skipped. */
export const NO_ARGMAX: Int32Array = new Int32Array(0);

/** All heavy math of tenfold. A backend implements it; layers and ops only call it. */
export interface Kernels {
  /** Short name for logs and benchmarks, e.g. "reference" or "wasm-relaxed-simd". */
  readonly name: string;

  /**
   * True when every float32 kernel writes every element of its outputs, so a caller may hand
   * it buffers that were never zeroed (see `outputBuffer`); false for kernels that accumulate.
   */
  readonly overwritesOutputs: boolean;

  /**
   * out[m×n] = op(A) · op(B), where op(A) is m×k and op(B) is k×n.
   * A is stored m×k (or k×m when transA); B is stored k×n (or n×k when transB).
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number,
    a: FloatArray, b: FloatArray, out: FloatArray): void;

  /** out[i] = op(x[i]). */
  unary(op: UnaryOp, x: FloatArray, out: FloatArray): void;

  /**
   * out[idx] = op(a[aIdx], b[bIdx]) over `outShape`, where aStrides/bStrides are the
   * element strides of a and b per output axis (0 on broadcast axes).
   */
  binary(op: BinaryOp, a: FloatArray, aStrides: readonly number[], b: FloatArray,
    bStrides: readonly number[], outShape: readonly number[], out: FloatArray): void;

  /** out[i] = a[i] * s + t, the scalar affine map (scale, shift, fill by s = 0). */
  scaleShift(x: FloatArray, s: number, t: number, out: FloatArray): void;

  /** Bias add: out[r, j] = x[r, j] + bias[j] for a rows×cols matrix. */
  addRowVector(x: FloatArray, bias: FloatArray, rows: number, cols: number, out: FloatArray): void;

  /** Bias gradient: out[j] = Σ_r x[r, j] for a rows×cols matrix. */
  sumRows(x: FloatArray, rows: number, cols: number, out: FloatArray): void;

  /** ReLU backward: out[i] = x[i] > 0 ? dy[i] : 0. */
  reluBackward(x: FloatArray, dy: FloatArray, out: FloatArray): void;

  /** Reduce x viewed as [outer, len, inner] along the middle axis into out[outer, inner]. */
  reduce(op: ReduceOp, x: FloatArray, outer: number, len: number, inner: number, out: FloatArray): void;

  /** Index of the first maximum of x viewed as [outer, len, inner] along the middle axis. */
  argmax(x: FloatArray, outer: number, len: number, inner: number, out: Int32Array): void;

  /** Row-wise numerically stable softmax of a rows×cols matrix. */
  softmax(x: FloatArray, rows: number, cols: number, out: FloatArray): void;

  /**
   * Fused Adam: outM = β1·m + (1-β1)·g; outV = β2·v + (1-β2)·g²;
   * outUpdate = stepSize · outM / (√outV + eps), plus params[i] when params is non-empty (then
   * it holds the new parameters: one pass instead of three). Callers fold bias correction and
   * the learning rate into `stepSize` and `eps` (see optim/transforms.ts).
   */
  adam(g: FloatArray, m: FloatArray, v: FloatArray, step: AdamStep,
    outM: FloatArray, outV: FloatArray, outUpdate: FloatArray, params: FloatArray): void;

  /** im2col of NCHW x into out[(n·oh·ow) × (c·kh·kw)] (the book's layout). */
  im2col(x: FloatArray, g: Window2D, out: FloatArray): void;

  /** col2im: the adjoint of im2col; sums cols[(n·oh·ow) × (c·kh·kw)] into out (NCHW, zeroed). */
  col2im(cols: FloatArray, g: Window2D, out: FloatArray): void;

  /**
   * Fused 2-D convolution forward (the book's: cross-correlation, zero padding, stride) with
   * the output directly in NCHW: out[n, f, oy, ox] = bias[f] + Σ_{c,i,j} w[f, c, i, j] ·
   * x[n, c, oy·strideH - padH + i, ox·strideW - padW + j] (zero outside the image).
   * x is NCHW per `g`, w is (filters, c, kh, kw), bias is (filters), out is (n, filters, oh, ow), zeroed.
   * With `relu`, a ReLU is fused on: out = max(0, conv) (saves a pass and a copy per layer).
   */
  conv2dForward(x: FloatArray, w: FloatArray, bias: FloatArray, g: Window2D, filters: number,
    relu: boolean, out: FloatArray): void;

  /**
   * Fused 2-D convolution backward for dy (n, filters, oh, ow): outDx (NCHW) = ∂L/∂x,
   * outDw (filters, c, kh, kw) = Σ_n dy_n · cols_n, outDb (filters) = Σ_{n,oy,ox} dy. All outputs
   * arrive zeroed; outDx may be empty (length 0), and then the input gradient is skipped.
   * `reluOutput` is the forward output when a ReLU was fused (dy then passes only where it is
   * > 0), or empty (length 0) for a plain convolution.
   */
  conv2dBackward(x: FloatArray, w: FloatArray, dy: FloatArray, g: Window2D, filters: number,
    reluOutput: FloatArray, outDx: FloatArray, outDw: FloatArray, outDb: FloatArray): void;

  /**
   * conv2dForward (with its optional ReLU) followed by max pooling over pool×pool windows with
   * stride pool, fused so the full-size convolution output never leaves the kernel. out is
   * (n, filters, ⌊oh/pool⌋, ⌊ow/pool⌋); argmax holds, per pooled element, the flat index of its
   * maximum in the (n, filters, oh, ow) convolution output, or is empty when nobody needs it
   * (inference): then it is skipped.
   */
  conv2dPoolForward(x: FloatArray, w: FloatArray, bias: FloatArray, g: Window2D, filters: number, relu: boolean,
    pool: number, out: FloatArray, argmax: Int32Array): void;

  /**
   * Backward of conv2dPoolForward: dy (pooled shape) is routed to the argmax positions, except
   * where `reluPooled` (the pooled output, given when a ReLU was fused; else empty) is ≤ 0, then
   * the convolution's gradients follow as in conv2dBackward (outDx may be empty to skip it).
   */
  conv2dPoolBackward(x: FloatArray, w: FloatArray, dy: FloatArray, argmax: Int32Array, reluPooled: FloatArray,
    g: Window2D, filters: number, pool: number, outDx: FloatArray, outDw: FloatArray, outDb: FloatArray): void;

  /** Max pooling per channel: out[n,c,oh,ow], argmax holds the flat input index of each max (or is empty: skipped). */
  maxPool(x: FloatArray, g: Window2D, out: FloatArray, argmax: Int32Array): void;

  /** Max pooling backward: out (NCHW, zeroed) += dy routed to argmax positions. */
  maxPoolBackward(dy: FloatArray, argmax: Int32Array, out: FloatArray): void;

  /** Average pooling per channel (padding counts as zeros, divisor kh·kw). */
  avgPool(x: FloatArray, g: Window2D, out: FloatArray): void;

  /** Average pooling backward into out (NCHW, zeroed). */
  avgPoolBackward(dy: FloatArray, g: Window2D, out: FloatArray): void;

  /**
   * Per-channel mean and biased variance of x viewed as [n, c, inner], taken over n and inner
   * (batch norm's statistics): outMean[c], outVar[c]. Two passes, so no cancellation.
   */
  channelMoments(x: FloatArray, n: number, c: number, inner: number, outMean: FloatArray, outVar: FloatArray): void;

  /**
   * Per-channel sums of x viewed as [n, c, inner]: outSum[c] = Σ x and, when y (same layout) is
   * non-empty, outDot[c] = Σ x·y (batch norm's parameter gradients); outDot is empty otherwise.
   * With a non-empty `gate` (same layout as x), x reads as 0 wherever gate is not > 0: a fused
   * ReLU's gradient (reluBackward(gate, x)) applied on the fly, with the same bits.
   */
  channelSums(x: FloatArray, gate: FloatArray, y: FloatArray, n: number, c: number, inner: number, outSum: FloatArray,
    outDot: FloatArray): void;

  /**
   * Per-channel affine map of x viewed as [n, c, inner]: out = x·sx[c] + y·sy[c] + shift[c], where
   * the y term is skipped when y is empty (batch norm forward, and its input gradient); x is
   * gated as in channelSums when `gate` is non-empty; with `relu`, each result v is then
   * v > 0 ? v : 0 (unary 'relu': batch norm fused with a ReLU).
   */
  channelAffine(x: FloatArray, gate: FloatArray, sx: FloatArray, y: FloatArray, sy: FloatArray, shift: FloatArray,
    n: number, c: number, inner: number, relu: boolean, out: FloatArray): void;

  /**
   * Batch norm's backward over x viewed as [n, c, inner], given the forward's per-channel mean,
   * std = √(var + eps) and γ: outDbeta = Σ dy, outDgamma = Σ dy·x̂ and outDx, which is
   * γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) with `train` (batch statistics) and γ/σ·dy without.
   * dy is gated as in channelSums when `gate` (a fused ReLU's output) is non-empty. Each input
   * is read in once: one pass for the sums, one for dx (see batchnorm-backward.ts).
   */
  batchNormBackward(dy: FloatArray, gate: FloatArray, x: FloatArray, mean: FloatArray, std: FloatArray, gamma: FloatArray,
    n: number, c: number, inner: number, train: boolean, outDx: FloatArray, outDgamma: FloatArray, outDbeta: FloatArray): void;
}
