/**
 * Batch normalisation (book ch. 6): per feature after dense layers ([N, D]) and per channel after
 * convolutions ([N, C, H, W]). Running mean and variance are layer state, not parameters.
 */
import { add, div, mul, scaleShift, sqrt, square, sub } from '../ops/elementwise.ts';
import { mean, sum } from '../ops/reduce.ts';
import { reshape } from '../ops/shape.ts';
import { cast, ones, showShape, zeros, type Shape, type Tensor } from '../tensor.ts';
import type { Layer } from './layer.ts';

/** Parameters of batch norm: scale gamma and shift beta, one per feature or channel. */
export type BatchNormParams = { readonly gamma: Tensor; readonly beta: Tensor };

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** Weight of the old running statistics in each update (default 0.9, as the book). */
  readonly momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  readonly eps?: number;
}

interface BatchNormCache {
  readonly mode: 'train' | 'inference';
  /** Normalised input, viewed as [A, C, B]. */
  readonly xn: Tensor;
  /** √(var + eps), shaped [1, C, 1]. */
  readonly std: Tensor;
  readonly inputShape: Shape;
}

/** Views x as [A, C, B] so that statistics are taken over axes 0 and 2: [N, D] → [N, D, 1], [N, C, H, W] → [N, C, H·W]. */
const view3 = (x: Tensor, c: number): Tensor => {
  if (!((x.shape.length === 2 || x.shape.length === 4) && x.shape[1] === c)) {
    throw new Error(`batchNorm: input ${showShape(x.shape)} is neither [N,${c}] nor [N,${c},H,W]`);
  }
  return reshape(x, [x.shape[0], c, -1]);
};

/** Per-channel mean over axes 0 and 2 of an [A, C, B] tensor, kept as [1, C, 1]. */
const channelMean = (t: Tensor): Tensor => mean(mean(t, 2, true), 0, true);

/** Per-channel sum over axes 0 and 2, as [C]. */
const channelSum = (t: Tensor): Tensor => sum(sum(t, 2), 0);

const asColumn = (t: Tensor, dtype: Tensor['dtype']): Tensor => reshape(cast(t, dtype), [1, t.size, 1]);

/** Batch normalisation; the input rank at init (1 for [D], 3 for [C, H, W]) decides per feature or per channel. */
export const batchNorm = (options: BatchNormOptions = {}): Layer<BatchNormParams, BatchNormCache> => {
  const momentum = options.momentum ?? 0.9;
  const eps = options.eps ?? 1e-5;
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`batchNorm: momentum must be in [0, 1], got ${momentum}`);
  if (!(eps > 0)) throw new Error(`batchNorm: eps must be > 0, got ${eps}`);
  return {
    name: 'batchnorm',
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
      const c = params.gamma.size;
      const x3 = view3(x, c);
      const running = ctx.state as { readonly mean?: Tensor; readonly variance?: Tensor };
      if (running.mean === undefined || running.variance === undefined) {
        throw new Error('batchNorm: state has no running mean/variance (pass the state init returned)');
      }
      let mu: Tensor;
      let variance: Tensor;
      let state = ctx.state;
      if (ctx.mode === 'train') {
        mu = channelMean(x3);
        // biased batch variance, as the book (np.mean(xc**2, axis=0))
        variance = channelMean(square(sub(x3, mu)));
        const blend = (old: Tensor, batch: Tensor): Tensor =>
          add(scaleShift(cast(old, x.dtype), momentum, 0), scaleShift(reshape(batch, [c]), 1 - momentum, 0));
        state = { mean: blend(running.mean, mu), variance: blend(running.variance, variance) };
      } else {
        mu = asColumn(running.mean, x.dtype);
        variance = asColumn(running.variance, x.dtype);
      }
      const std = sqrt(scaleShift(variance, 1, eps));
      const xn = div(sub(x3, mu), std);
      const y3 = add(mul(xn, asColumn(params.gamma, x.dtype)), asColumn(params.beta, x.dtype));
      return { y: reshape(y3, x.shape), cache: { mode: ctx.mode, xn, std, inputShape: x.shape }, state };
    },
    backward: (params, cache, dy) => {
      const c = params.gamma.size;
      const dy3 = view3(dy, c);
      const dbeta = channelSum(dy3);
      const dgamma = channelSum(mul(dy3, cache.xn));
      const dxn = mul(dy3, asColumn(params.gamma, dy.dtype));
      // batch statistics depend on x: dx = (dxn − mean(dxn) − xn·mean(dxn·xn)) / std
      const dx3 = cache.mode === 'train'
        ? div(sub(sub(dxn, channelMean(dxn)), mul(cache.xn, channelMean(mul(dxn, cache.xn)))), cache.std)
        : div(dxn, cache.std);
      return { dx: reshape(dx3, cache.inputShape), grads: { gamma: dgamma, beta: dbeta } };
    },
  };
};
