/** Inverted dropout (book ch. 6, scaled at training so that inference is the identity). */
import { mul, scaleShift } from '../ops/elementwise.ts';
import { bernoulli } from '../random.ts';
import type { Tensor } from '../tensor.ts';
import { requireCache } from './errors.ts';
import { describable } from './describe.ts';
import type { Layer } from './layer.ts';

type NoParams = Record<string, never>;

/** The kept-and-scaled mask of a training pass, or null for the identity. */
type DropoutCache = Tensor | null;

const makeDropout = (rate: number): Layer<NoParams, DropoutCache> => {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  return {
    name: 'dropout',
    init: (_key, inputShape) => ({ params: {}, state: {}, outputShape: inputShape }),
    forward: (_params, x, ctx) => {
      if (ctx.mode !== 'train' || rate === 0) return { y: x, cache: null, state: {} };
      const mask = scaleShift(bernoulli(ctx.key, 1 - rate, x.shape, x.dtype), 1 / (1 - rate), 0);
      return { y: mul(x, mask), cache: mask, state: {} };
    },
    backward: (_params, mask, dy) => {
      requireCache('dropout', mask);
      return { dx: mask === null ? dy : mul(dy, mask), grads: {} };
    },
  };
};

/**
 * Drops each input with probability `rate` at training and scales survivors by 1/(1−rate),
 * so the expectation is unchanged and inference is the identity. The mask comes from ctx.key.
 */
export const dropout = describable('dropout', makeDropout);
