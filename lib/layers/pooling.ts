/** Pooling over NCHW input (book ch. 7): max and average windows, and global average pooling. */
import { kernelsFor, outputBuffer } from '../kernels/backend.ts';
import { windowOutput, type Window2D } from '../kernels/kernels.ts';
import { showShape, wrap, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { requireCache } from './errors.ts';
import { describable } from './describe.ts';
import type { Layer } from './layer.ts';
import { pairOf, windowOutputShape, windowOver, type Pair, type WindowSpec } from './window.ts';

type NoParams = Record<string, never>;

/**
 * What max-pooling backward needs: where each maximum came from. Inference keeps the input
 * instead (cheaper than the argmax; backward, if called anyway, finds the argmax from it).
 */
type MaxPoolCache = { readonly g: Window2D; readonly argmax: Int32Array } | { readonly g: Window2D; readonly x: Tensor };

const specOf = (where: string, k: Pair, stride: Pair | undefined, pad: Pair): WindowSpec => {
  const kernel = pairOf(where, 'window', k, 1);
  return { kernel, stride: pairOf(where, 'stride', stride ?? kernel, 1), pad: pairOf(where, 'pad', pad, 0) };
};

const checkRank = (where: string, x: Tensor): void => {
  if (x.shape.length !== 4) throw new Error(`${where}: needs NCHW input, got ${showShape(x.shape)}`);
};

/** Where each window's maximum is in x (for a backward after an inference forward). */
const argmaxOf = (x: Tensor, g: Window2D): Int32Array => {
  const { oh, ow } = windowOutput(g);
  const argmax = new Int32Array(g.n * g.c * oh * ow);
  kernelsFor(x.dtype).maxPool({ x: unsafeMutableData(x), g, out: outputBuffer(x.dtype, argmax.length), argmax });
  return argmax;
};

const shapeOf = (g: Window2D): readonly number[] => [g.n, g.c, g.h, g.w];

// Max pools whose square window tiles its input (stride = window, no padding), by window size:
// a convolution before one can take it on (conv2d's fuseNext asks here).
const tilingPools = new WeakMap<object, number>();

/** The window of a max pool that tiles its input (square, stride = window, no padding), else undefined. */
export const tilingPoolWindow = (layer: Layer): number | undefined => tilingPools.get(layer);

const makeMaxPool2d = (k: Pair, stride?: Pair, pad: Pair = 0): Layer<NoParams, MaxPoolCache> => {
  const spec = specOf('maxPool2d', k, stride, pad);
  const [wh, ww] = spec.kernel;
  const tiles = wh === ww && spec.stride[0] === wh && spec.stride[1] === ww && spec.pad[0] === 0 && spec.pad[1] === 0;
  const layer: Layer<NoParams, MaxPoolCache> = {
    name: 'maxpool',
    init: (_key, inputShape) => {
      const g = windowOver('maxPool2d', spec, 1, inputShape);
      return { params: {}, state: {}, outputShape: windowOutputShape(g, g.c) };
    },
    forward: (_params, x, ctx) => {
      checkRank('maxPool2d', x);
      const g = windowOver('maxPool2d', spec, x.shape[0], x.shape.slice(1));
      const { oh, ow } = windowOutput(g);
      const out = outputBuffer(x.dtype, g.n * g.c * oh * ow);
      const inference = ctx.mode === 'inference';
      const argmax = inference ? undefined : new Int32Array(out.length);
      kernelsFor(x.dtype).maxPool({ x: unsafeMutableData(x), g, out, argmax });
      return { y: wrap(out, [g.n, g.c, oh, ow]), cache: argmax === undefined ? { g, x } : { g, argmax }, state: {} };
    },
    backward: (_params, cache, dy) => {
      requireCache('maxPool2d', cache);
      const dx = outputBuffer(dy.dtype, cache.g.n * cache.g.c * cache.g.h * cache.g.w);
      kernelsFor(dy.dtype).maxPoolBackward(unsafeMutableData(dy), 'argmax' in cache ? cache.argmax : argmaxOf(cache.x, cache.g), dx);
      return { dx: wrap(dx, shapeOf(cache.g)), grads: {} };
    },
  };
  if (tiles) tilingPools.set(layer, wh);
  return layer;
};

const avgPoolOver = (name: string, where: string, specFor: (chw: readonly number[]) => WindowSpec, flat: boolean): Layer<NoParams, Window2D> => ({
  name,
  init: (_key, inputShape) => {
    const g = windowOver(where, specFor(inputShape), 1, inputShape);
    return { params: {}, state: {}, outputShape: flat ? [g.c] : windowOutputShape(g, g.c) };
  },
  forward: (_params, x) => {
    checkRank(where, x);
    const g = windowOver(where, specFor(x.shape.slice(1)), x.shape[0], x.shape.slice(1));
    const { oh, ow } = windowOutput(g);
    const out = outputBuffer(x.dtype, g.n * g.c * oh * ow);
    kernelsFor(x.dtype).avgPool(unsafeMutableData(x), g, out);
    return { y: wrap(out, flat ? [g.n, g.c] : [g.n, g.c, oh, ow]), cache: g, state: {} };
  },
  backward: (_params, g, dy) => {
    requireCache(where, g);
    const dx = outputBuffer(dy.dtype, g.n * g.c * g.h * g.w);
    kernelsFor(dy.dtype).avgPoolBackward(unsafeMutableData(dy), g, dx);
    return { dx: wrap(dx, shapeOf(g)), grads: {} };
  },
});

const makeAvgPool2d = (k: Pair, stride?: Pair, pad: Pair = 0): Layer<NoParams, Window2D> => {
  const spec = specOf('avgPool2d', k, stride, pad);
  return avgPoolOver('avgpool', 'avgPool2d', () => spec, false);
};

const makeGlobalAvgPool = (): Layer<NoParams, Window2D> =>
  avgPoolOver('globalavgpool', 'globalAvgPool', (chw) => {
    // the window is the whole plane, so it is only known once the input shape is
    const [, h, w] = chw.length === 3 ? chw : [0, 1, 1];
    return { kernel: [h, w], stride: [1, 1], pad: [0, 0] };
  }, true);

/** Max pooling with a k×k window (or [kh, kw]); stride defaults to the window, padding to 0. */
export const maxPool2d = describable('maxPool2d', makeMaxPool2d);

/** Average pooling with a k×k window (or [kh, kw]); padding counts as zeros (divisor kh·kw). */
export const avgPool2d = describable('avgPool2d', makeAvgPool2d);

/** Mean of each channel over its whole H×W plane: [N, C, H, W] → [N, C]. */
export const globalAvgPool = describable('globalAvgPool', makeGlobalAvgPool);
