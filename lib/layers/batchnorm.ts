/**
 * Batch normalisation (book ch. 6): per feature after dense layers ([N, D]) and per channel after
 * convolutions ([N, C, H, W]). Running mean and variance are layer state, not parameters.
 * Statistics, sums and the per-channel affine maps are single kernel passes (lib/kernels).
 */
import { kernelsFor, outputBuffer } from '../kernels/backend.ts';
import type { FloatArray } from '../kernels/kernels.ts';
import { allocate, cast, ones, showShape, wrap, zeros, type DType, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { requireCache, requireParams } from './errors.ts';
import { isReluLayer } from './activations.ts';
import { describable } from './describe.ts';
import type { Layer } from './layer.ts';

/** Parameters of batch norm: scale gamma and shift beta, one per feature or channel. */
export type BatchNormParams = { readonly gamma: Tensor; readonly beta: Tensor };

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** Weight of the old running statistics in each update (default 0.9, as the book). */
  readonly momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  readonly eps?: number;
  /**
   * 'relu' applies a ReLU to the output in the same pass: the function of batchNorm() followed by
   * reluLayer(), which `sequential` fuses this way by itself.
   */
  readonly activation?: 'relu';
}

interface BatchNormCache {
  readonly mode: 'train' | 'inference';
  /** The input. */
  readonly x: Tensor;
  /** Per-channel mean used to normalise. */
  readonly mean: FloatArray;
  /** Per-channel √(var + eps). */
  readonly std: FloatArray;
  /** The output, when a ReLU is fused (its gradient passes where it is > 0). */
  readonly relued?: Tensor;
}

/** x seen as [n, c, inner]: [N, D] → inner 1, [N, C, H, W] → inner H·W. */
interface ChannelView { readonly n: number; readonly c: number; readonly inner: number }

const viewOf = (x: Tensor, c: number): ChannelView => {
  if (!((x.shape.length === 2 || x.shape.length === 4) && x.shape[1] === c)) {
    throw new Error(`batchNorm: input ${showShape(x.shape)} is neither [N,${c}] nor [N,${c},H,W]`);
  }
  const n = x.shape[0];
  return { n, c, inner: n * c === 0 ? 0 : x.size / (n * c) };
};

/** A length-c vector of the given dtype from a function of the channel. */
const perChannel = (dtype: DType, c: number, f: (ch: number) => number): FloatArray => {
  const out = allocate(dtype, c);
  for (let ch = 0; ch < c; ch++) out[ch] = f(ch);
  return out;
};

const valuesOf = (t: Tensor, dtype: DType): FloatArray => unsafeMutableData(cast(t, dtype));

const BN_PARAMS = ['gamma', 'beta'] as const;

/** out = x·sx[c] + shift[c] over the view, then ReLU if asked (batch norm's forward map). */
const channelAffine = (x: Tensor, v: ChannelView, sx: FloatArray, shift: FloatArray, relu: boolean): Tensor => {
  const out = outputBuffer(x.dtype, x.size);
  kernelsFor(x.dtype).channelAffine({ x: unsafeMutableData(x), sx, shift, n: v.n, c: v.c, inner: v.inner, relu, out });
  return wrap(out, x.shape);
};

const makeBatchNorm = (options: BatchNormOptions = {}): Layer<BatchNormParams, BatchNormCache> => {
  const momentum = options.momentum ?? 0.9;
  const eps = options.eps ?? 1e-5;
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`batchNorm: momentum must be in [0, 1], got ${momentum}`);
  if (!(eps > 0)) throw new Error(`batchNorm: eps must be > 0, got ${eps}`);
  const activation = options.activation;
  if (activation !== undefined && activation !== 'relu') throw new Error(`batchNorm: activation must be 'relu' or absent, got "${String(activation)}"`);
  const relu = activation === 'relu';
  return {
    name: 'batchnorm',
    ...(relu ? {} : {
      fuseNext: (next: Layer) => (isReluLayer(next) ? batchNorm({ ...options, activation: 'relu' }) : undefined),
    }),
    init: (_key, inputShape) => {
      if (inputShape.length !== 1 && inputShape.length !== 3) {
        throw new Error(`batchNorm: needs per-example input [D] or [C,H,W], got ${showShape(inputShape)}`);
      }
      const c = inputShape[0];
      return {
        params: { gamma: ones([c]), beta: zeros([c]) },
        state: { mean: zeros([c]), variance: ones([c]) },
        outputShape: inputShape,
      };
    },
    forward: (params, x, ctx) => {
      requireParams('batchNorm', 'forward', params, BN_PARAMS);
      const c = params.gamma.size;
      const v = viewOf(x, c);
      const running = ctx.state as { readonly mean?: Tensor; readonly variance?: Tensor };
      const runningMean = running.mean;
      const runningVariance = running.variance;
      if (runningMean === undefined || runningVariance === undefined) {
        throw new Error('batchNorm: state has no running mean/variance (pass the state init returned)');
      }
      let mean: FloatArray;
      let variance: FloatArray;
      let state = ctx.state;
      if (ctx.mode === 'train') {
        mean = allocate(x.dtype, c);
        // biased batch variance, as the book (np.mean(xc**2, axis=0))
        variance = allocate(x.dtype, c);
        kernelsFor(x.dtype).channelMoments({ x: unsafeMutableData(x), n: v.n, c, inner: v.inner, outMean: mean, outVar: variance });
        const blend = (old: Tensor, batch: FloatArray): Tensor =>
          wrap(perChannel(x.dtype, c, (ch) => momentum * old.data[ch] + (1 - momentum) * batch[ch]), [c]);
        state = { mean: blend(runningMean, mean), variance: blend(runningVariance, variance) };
      } else {
        mean = valuesOf(runningMean, x.dtype);
        variance = valuesOf(runningVariance, x.dtype);
      }
      const std = perChannel(x.dtype, c, (ch) => Math.sqrt(variance[ch] + eps));
      const gamma = valuesOf(params.gamma, x.dtype);
      const beta = valuesOf(params.beta, x.dtype);
      // one pass: y = γ·(x − μ)/σ + β = x·γ/σ + (β − μ·γ/σ)
      const y = channelAffine(x, v, perChannel(x.dtype, c, (ch) => gamma[ch] / std[ch]),
        perChannel(x.dtype, c, (ch) => beta[ch] - (mean[ch] * gamma[ch]) / std[ch]), relu);
      return { y, cache: { mode: ctx.mode, x, mean, std, ...(relu ? { relued: y } : {}) }, state };
    },
    backward: (params, cache, dy) => {
      requireParams('batchNorm', 'backward', params, BN_PARAMS);
      requireCache('batchNorm', cache);
      const c = params.gamma.size;
      const v = viewOf(dy, c);
      const dx = outputBuffer(dy.dtype, dy.size);
      const dgamma = allocate(dy.dtype, c);
      const dbeta = allocate(dy.dtype, c);
      // a fused ReLU's gradient is applied as the kernel reads dy: dy counts where the output is > 0
      kernelsFor(dy.dtype).batchNormBackward({
        dy: unsafeMutableData(dy), gate: cache.relued === undefined ? undefined : unsafeMutableData(cache.relued),
        x: unsafeMutableData(cache.x), mean: cache.mean, std: cache.std, gamma: valuesOf(params.gamma, dy.dtype),
        n: v.n, c, inner: v.inner, train: cache.mode === 'train', outDx: dx, outDgamma: dgamma, outDbeta: dbeta,
      });
      const grad = (g: FloatArray): Tensor => cast(wrap(g, [c]), params.gamma.dtype);
      return { dx: wrap(dx, dy.shape), grads: { gamma: grad(dgamma), beta: grad(dbeta) } };
    },
  };
};

/** Batch normalisation; the input rank at init (1 for [D], 3 for [C, H, W]) decides per feature or per channel. */
export const batchNorm = describable('batchNorm', makeBatchNorm);
