/**
 * The kernel seam: every piece of heavy math in tenfold goes through a `Kernels` value.
 *
 * A new kernel touches exactly these files (plus its spec and, if it is hot, a bench case):
 * 1. lib/kernels/kernels.ts: the method on `Kernels` and, past about six arguments, its `…Args` interface;
 * 2. lib/kernels/reference.ts: the reference method (float32 and float64; large ones may sit in a
 *    file of their own beside it, as the convolutions do in reference-conv.ts);
 * 3. lib/kernels/wasm/kernels.ts: the export's parameter names in `kernelExports` and the method's
 *    entry in `createWasmKernels` (a large one may call glue of its own beside it, as conv.ts);
 * 4. a function in one of the AssemblyScript kernel files that lib/kernels/wasm/assembly/index.ts
 *    re-exports whole (`export *`); a new file there needs its `export *` line as well.
 * Op codes come from the enums in assembly/codes.ts alone, and any export can be handed to the
 * helper thread (`Helper.post` by export name), so neither needs a list kept in step.
 *
 * Contract shared by all implementations:
 * - Buffers are dense, row-major, and either all Float32Array or all Float64Array in one call.
 * - A kernel writes every element of each output it is given (`out` and the other `out…`, and
 *   the argmax of the max-pooling kernels), so outputs may arrive with any contents: callers hand
 *   over unzeroed memory (see `outputBuffer` in backend.ts). A kernel that accumulates zeroes its
 *   output first. It never writes into an input.
 * - Optional inputs and outputs are `undefined` when absent; an absent output is not computed.
 * - Outputs never alias inputs.
 * - After the call nobody writes `out` again (it becomes a readonly tensor): a backend may keep
 *   its own copy and skip copying it back in when a later call takes that very array as an input.
 *   Inputs are tensors' data, never written either, so a backend may also keep its copy of an
 *   input it is handed again (a weight, batch after batch). Nothing checks this: writing to an
 *   output or input afterwards (through a cast) is undefined behaviour.
 */

import type { FloatArray } from '../tensor.ts';
export type { FloatArray } from '../tensor.ts';

/** Elementwise functions of one argument. */
export type UnaryOp =
  | 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'square' | 'reciprocal' | 'sign'
  | 'relu' | 'sigmoid' | 'tanh' | 'step'
  /** x, or 0 when x is subnormal in its dtype (decaying optimizer state: see Kernels.adam). */
  | 'flushSubnormal';

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

/** See Kernels.gemm: out[m×n] = op(A)·op(B). */
export interface GemmArgs {
  readonly transA: boolean;
  readonly transB: boolean;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** m×k, or k×m when transA. */
  readonly a: FloatArray;
  /** k×n, or n×k when transB. */
  readonly b: FloatArray;
  readonly out: FloatArray;
}

/** See Kernels.decodeRows: rows of bytes gathered and turned into floats through a table. */
export interface DecodeRowsArgs {
  /** The whole set: rows of `rowBytes` bytes each. */
  readonly bytes: Uint8Array;
  readonly rowBytes: number;
  /** Which rows, in output order. */
  readonly rows: ArrayLike<number>;
  /** Float value of each byte value (256 entries). */
  readonly table: FloatArray;
  /** rows.length × rowBytes floats. */
  readonly out: FloatArray;
}

/** See Kernels.binary: out = op(a, b) over outShape, with broadcasting by strides. */
export interface BinaryArgs {
  readonly op: BinaryOp;
  readonly a: FloatArray;
  /** Element strides of a per output axis (0 on broadcast axes). */
  readonly aStrides: readonly number[];
  readonly b: FloatArray;
  readonly bStrides: readonly number[];
  readonly outShape: readonly number[];
  readonly out: FloatArray;
}

/** See Kernels.adam. */
export interface AdamArgs {
  readonly g: FloatArray;
  readonly m: FloatArray;
  readonly v: FloatArray;
  readonly step: AdamStep;
  /** The parameters: given, outUpdate holds the new parameters instead of the updates. */
  readonly params?: FloatArray | undefined;
  readonly outM: FloatArray;
  readonly outV: FloatArray;
  readonly outUpdate: FloatArray;
}

/** A convolution's geometry: the window over NCHW x per `g`, and the filter count. */
export interface ConvShape {
  readonly g: Window2D;
  readonly filters: number;
}

/** See Kernels.conv2dForward. */
export interface Conv2dForwardArgs extends ConvShape {
  readonly x: FloatArray;
  /** (filters, c, kh, kw). */
  readonly w: FloatArray;
  /** (filters). */
  readonly bias: FloatArray;
  /** A fused ReLU: out = max(0, conv). */
  readonly relu: boolean;
  /** (n, filters, oh, ow). */
  readonly out: FloatArray;
}

/** See Kernels.conv2dBackward. */
export interface Conv2dBackwardArgs extends ConvShape {
  readonly x: FloatArray;
  readonly w: FloatArray;
  /** (n, filters, oh, ow). */
  readonly dy: FloatArray;
  /** The forward output when a ReLU was fused (dy then passes only where it is > 0). */
  readonly reluOutput?: FloatArray | undefined;
  /** ∂L/∂x (NCHW); absent, the input gradient is skipped. */
  readonly outDx?: FloatArray | undefined;
  /** (filters, c, kh, kw). */
  readonly outDw: FloatArray;
  /** (filters). */
  readonly outDb: FloatArray;
}

/** See Kernels.conv2dPoolForward. */
export interface Conv2dPoolForwardArgs extends Conv2dForwardArgs {
  /** The max pool's window and stride over the convolution output. */
  readonly pool: number;
  /** Per pooled element, the flat index of its maximum in the (n, filters, oh, ow) convolution output; absent: skipped. */
  readonly argmax?: Int32Array | undefined;
}

/** See Kernels.conv2dPoolBackward. */
export interface Conv2dPoolBackwardArgs extends ConvShape {
  readonly x: FloatArray;
  readonly w: FloatArray;
  /** The pooled gradient. */
  readonly dy: FloatArray;
  /** conv2dPoolForward's argmax. */
  readonly argmax: Int32Array;
  /** The pooled output, when a ReLU was fused (dy passes only where it is > 0). */
  readonly reluPooled?: FloatArray | undefined;
  readonly pool: number;
  readonly outDx?: FloatArray | undefined;
  readonly outDw: FloatArray;
  readonly outDb: FloatArray;
}

/** See Kernels.maxPool. */
export interface MaxPoolArgs {
  readonly x: FloatArray;
  readonly g: Window2D;
  /** (n, c, oh, ow). */
  readonly out: FloatArray;
  /** The flat input index of each maximum; absent (inference): skipped. */
  readonly argmax?: Int32Array | undefined;
}

/** x viewed as [n, c, inner]: the per-channel kernels' layout. */
export interface ChannelLayout {
  readonly n: number;
  readonly c: number;
  readonly inner: number;
}

/** See Kernels.channelMoments. */
export interface ChannelMomentsArgs extends ChannelLayout {
  readonly x: FloatArray;
  readonly outMean: FloatArray;
  readonly outVar: FloatArray;
}

/** See Kernels.channelSums: outDot comes with y. */
export type ChannelSumsArgs = ChannelLayout & {
  readonly x: FloatArray;
  /** Same layout as x: x reads as 0 wherever gate is not > 0. */
  readonly gate?: FloatArray | undefined;
  readonly outSum: FloatArray;
} & ({ readonly y?: undefined; readonly outDot?: undefined } | { readonly y: FloatArray; readonly outDot: FloatArray });

/** See Kernels.channelAffine: sy comes with y. */
export type ChannelAffineArgs = ChannelLayout & {
  readonly x: FloatArray;
  /** Gates x as in channelSums. */
  readonly gate?: FloatArray | undefined;
  readonly sx: FloatArray;
  readonly shift: FloatArray;
  readonly relu: boolean;
  readonly out: FloatArray;
} & ({ readonly y?: undefined; readonly sy?: undefined } | { readonly y: FloatArray; readonly sy: FloatArray });

/** See Kernels.batchNormBackward. */
export interface BatchNormBackwardArgs extends ChannelLayout {
  readonly dy: FloatArray;
  /** A fused ReLU's output: dy counts only where it is > 0. */
  readonly gate?: FloatArray | undefined;
  readonly x: FloatArray;
  readonly mean: FloatArray;
  /** √(var + eps) per channel. */
  readonly std: FloatArray;
  readonly gamma: FloatArray;
  /** Batch statistics (training) rather than running ones. */
  readonly train: boolean;
  readonly outDx: FloatArray;
  readonly outDgamma: FloatArray;
  readonly outDbeta: FloatArray;
}

/** All heavy math of tenfold. A backend implements it; layers and ops only call it. */
export interface Kernels {
  /** Short name for logs and benchmarks, e.g. "reference" or "wasm-relaxed-simd". */
  readonly name: string;

  /**
   * out[m×n] = op(A) · op(B), where op(A) is m×k and op(B) is k×n.
   * A is stored m×k (or k×m when transA); B is stored k×n (or n×k when transB).
   */
  gemm(a: GemmArgs): void;

  /** out[i] = op(x[i]). */
  unary(op: UnaryOp, x: FloatArray, out: FloatArray): void;

  /**
   * out[idx] = op(a[aIdx], b[bIdx]) over `outShape`, where aStrides/bStrides are the
   * element strides of a and b per output axis (0 on broadcast axes).
   */
  binary(a: BinaryArgs): void;

  /** out[i] = a[i] * s + t, the scalar affine map (scale, shift, fill by s = 0). */
  scaleShift(x: FloatArray, s: number, t: number, out: FloatArray): void;

  /** Bias add: out[r, j] = x[r, j] + bias[j] for a rows×cols matrix. */
  addRowVector(x: FloatArray, bias: FloatArray, rows: number, cols: number, out: FloatArray): void;

  /** Bias gradient: out[j] = Σ_r x[r, j] for a rows×cols matrix. */
  sumRows(x: FloatArray, rows: number, cols: number, out: FloatArray): void;

  /** ReLU backward: out[i] = x[i] > 0 ? dy[i] : 0. */
  reluBackward(x: FloatArray, dy: FloatArray, out: FloatArray): void;

  /**
   * Byte decoding (stored pixels into floats, batch by batch): out[i·rowBytes + j] =
   * table[bytes[rows[i]·rowBytes + j]], each value exactly the table's.
   */
  decodeRows(a: DecodeRowsArgs): void;

  /** Reduce x viewed as [outer, len, inner] along the middle axis into out[outer, inner]. */
  reduce(op: ReduceOp, x: FloatArray, outer: number, len: number, inner: number, out: FloatArray): void;

  /** Index of the first maximum of x viewed as [outer, len, inner] along the middle axis. */
  argmax(x: FloatArray, outer: number, len: number, inner: number, out: Int32Array): void;

  /** Row-wise numerically stable softmax of a rows×cols matrix. */
  softmax(x: FloatArray, rows: number, cols: number, out: FloatArray): void;

  /**
   * Fused Adam: outM = β1·m + (1-β1)·g; outV = β2·v + (1-β2)·g²;
   * outUpdate = stepSize · outM / (√outV + eps), plus params[i] when params is given (then it
   * holds the new parameters: one pass instead of three). Callers fold bias correction and
   * the learning rate into `stepSize` and `eps` (see optim/transforms.ts).
   * A moment below the dtype's smallest normal number in magnitude is stored (and used) as 0:
   * a moment whose gradient stays 0 (a dead ReLU unit) decays into subnormals, where β·m rounds
   * back to m and stays, and each subnormal costs x86 a slow microcode path on every step.
   */
  adam(a: AdamArgs): void;

  /** im2col of NCHW x into out[(n·oh·ow) × (c·kh·kw)] (the book's layout). */
  im2col(x: FloatArray, g: Window2D, out: FloatArray): void;

  /** col2im: the adjoint of im2col; sums cols[(n·oh·ow) × (c·kh·kw)] into out (NCHW). */
  col2im(cols: FloatArray, g: Window2D, out: FloatArray): void;

  /**
   * Fused 2-D convolution forward (the book's: cross-correlation, zero padding, stride) with
   * the output directly in NCHW: out[n, f, oy, ox] = bias[f] + Σ_{c,i,j} w[f, c, i, j] ·
   * x[n, c, oy·strideH - padH + i, ox·strideW - padW + j] (zero outside the image).
   * With `relu`, a ReLU is fused on: out = max(0, conv) (saves a pass and a copy per layer).
   */
  conv2dForward(a: Conv2dForwardArgs): void;

  /**
   * Fused 2-D convolution backward for dy (n, filters, oh, ow): outDx (NCHW) = ∂L/∂x,
   * outDw = Σ_n dy_n · cols_n, outDb = Σ_{n,oy,ox} dy. Without outDx the input gradient is skipped;
   * with `reluOutput` (a fused ReLU's output) dy passes only where it is > 0.
   */
  conv2dBackward(a: Conv2dBackwardArgs): void;

  /**
   * conv2dForward (with its optional ReLU) followed by max pooling over pool×pool windows with
   * stride pool, fused so the full-size convolution output never leaves the kernel. out is
   * (n, filters, ⌊oh/pool⌋, ⌊ow/pool⌋); argmax (when given) holds, per pooled element, the flat
   * index of its maximum in the (n, filters, oh, ow) convolution output.
   */
  conv2dPoolForward(a: Conv2dPoolForwardArgs): void;

  /**
   * Backward of conv2dPoolForward: dy (pooled shape) is routed to the argmax positions, except
   * where `reluPooled` (given when a ReLU was fused) is ≤ 0, then the convolution's gradients
   * follow as in conv2dBackward (without outDx the input gradient is skipped).
   */
  conv2dPoolBackward(a: Conv2dPoolBackwardArgs): void;

  /** Max pooling per channel: out[n,c,oh,ow], and argmax (when given) the flat input index of each max. */
  maxPool(a: MaxPoolArgs): void;

  /** Max pooling backward: out (NCHW) = dy routed to the argmax positions, summed. */
  maxPoolBackward(dy: FloatArray, argmax: Int32Array, out: FloatArray): void;

  /** Average pooling per channel (padding counts as zeros, divisor kh·kw). */
  avgPool(x: FloatArray, g: Window2D, out: FloatArray): void;

  /** Average pooling backward into out (NCHW). */
  avgPoolBackward(dy: FloatArray, g: Window2D, out: FloatArray): void;

  /**
   * Per-channel mean and biased variance of x viewed as [n, c, inner], taken over n and inner
   * (batch norm's statistics): outMean[c], outVar[c]. Two passes, so no cancellation.
   */
  channelMoments(a: ChannelMomentsArgs): void;

  /**
   * Per-channel sums of x viewed as [n, c, inner]: outSum[c] = Σ x and, with y (same layout),
   * outDot[c] = Σ x·y (batch norm's parameter gradients). With `gate` (same layout as x), x reads
   * as 0 wherever gate is not > 0: a fused ReLU's gradient (reluBackward(gate, x)) applied on
   * the fly, with the same bits.
   */
  channelSums(a: ChannelSumsArgs): void;

  /**
   * Per-channel affine map of x viewed as [n, c, inner]: out = x·sx[c] + y·sy[c] + shift[c], where
   * the y term is skipped without y (batch norm forward, and its input gradient); x is gated as
   * in channelSums when `gate` is given; with `relu`, each result v is then v > 0 ? v : 0
   * (unary 'relu': batch norm fused with a ReLU).
   */
  channelAffine(a: ChannelAffineArgs): void;

  /**
   * Batch norm's backward over x viewed as [n, c, inner], given the forward's per-channel mean,
   * std = √(var + eps) and γ: outDbeta = Σ dy, outDgamma = Σ dy·x̂ and outDx, which is
   * γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) with `train` (batch statistics) and γ/σ·dy without.
   * dy is gated as in channelSums when `gate` (a fused ReLU's output) is given. Each input
   * is read in once: one pass for the sums, one for dx (see batchnorm-backward.ts).
   */
  batchNormBackward(a: BatchNormBackwardArgs): void;
}
