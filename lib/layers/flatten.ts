/** Flattening each example to a vector ([N, C, H, W] → [N, C·H·W], row-major as in the book). */
import { reshape } from '../ops/shape.ts';
import { sizeOf, type Shape } from '../tensor.ts';
import { requireCache, requireRank } from './errors.ts';
import { describable } from './describe.ts';
import type { Layer } from './layer.ts';

type NoParams = Record<string, never>;

const makeFlatten = (): Layer<NoParams, Shape> => ({
  name: 'flatten',
  init: (_key, inputShape) => ({ params: {}, state: {}, outputShape: [sizeOf(inputShape)] }),
  forward: (_params, x) => {
    requireRank('flatten', 'forward', x.shape, 1, Infinity, '[N, …]');
    return { y: reshape(x, [x.shape[0], sizeOf(x.shape.slice(1))]), cache: x.shape, state: {} };
  },
  backward: (_params, inputShape, dy) => {
    requireCache('flatten', inputShape);
    return { dx: reshape(dy, inputShape), grads: {} };
  },
});

/** A layer that flattens all axes after the batch axis (no copy). */
export const flatten = describable('flatten', makeFlatten);
