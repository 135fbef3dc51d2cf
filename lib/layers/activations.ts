/** Activation layers: ReLU, Sigmoid, Tanh (book ch. 5), each a forward/backward pair without parameters. */
import { kernelsFor, outputBuffer } from '../kernels/backend.ts';
import { mul, scaleShift, square, unary } from '../ops/elementwise.ts';
import { wrap, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { requireCache } from './errors.ts';
import { describable } from './describe.ts';
import type { Layer } from './layer.ts';

type NoParams = Record<string, never>;

const shapeKeeping = (
  name: string,
  forward: (x: Tensor) => Tensor,
  backward: (x: Tensor, y: Tensor, dy: Tensor) => Tensor,
): Layer<NoParams, { readonly x: Tensor; readonly y: Tensor }> => ({
  name,
  init: (_key, inputShape) => ({ params: {}, state: {}, outputShape: inputShape }),
  forward: (_params, x) => {
    const y = forward(x);
    return { y, cache: { x, y }, state: {} };
  },
  backward: (_params, cache, dy) => {
    requireCache(name, cache);
    return { dx: backward(cache.x, cache.y, dy), grads: {} };
  },
});

/** dy where x > 0, else 0: ReLU's gradient (x may be its input or its output). */
export const reluGradient = (x: Tensor, dy: Tensor): Tensor => {
  const out = outputBuffer(dy.dtype, dy.size);
  kernelsFor(dy.dtype).reluBackward(unsafeMutableData(x), unsafeMutableData(dy), out);
  return wrap(out, dy.shape);
};

// ReLU layers, so that the layer before one can fuse it (batch norm's fuseNext asks here).
const reluLayers = new WeakSet<object>();

/** Whether a layer is a ReLU made by `reluLayer`. */
export const isReluLayer = (layer: Layer): boolean => reluLayers.has(layer);

const makeReluLayer = (): Layer<NoParams, { readonly x: Tensor; readonly y: Tensor }> => {
  const layer = shapeKeeping('relu', (x) => unary('relu', x), (x, _y, dy) => reluGradient(x, dy));
  reluLayers.add(layer);
  return layer;
};

const makeSigmoidLayer = (): Layer<NoParams, { readonly x: Tensor; readonly y: Tensor }> =>
  shapeKeeping('sigmoid', (x) => unary('sigmoid', x), (_x, y, dy) => mul(dy, mul(y, scaleShift(y, -1, 1))));

const makeTanhLayer = (): Layer<NoParams, { readonly x: Tensor; readonly y: Tensor }> =>
  shapeKeeping('tanh', (x) => unary('tanh', x), (_x, y, dy) => mul(dy, scaleShift(square(y), -1, 1)));

/** ReLU: max(0, x); gradient passes where x > 0. */
export const reluLayer = describable('reluLayer', makeReluLayer);

/** Sigmoid; gradient dy·y·(1−y). */
export const sigmoidLayer = describable('sigmoidLayer', makeSigmoidLayer);

/** Tanh; gradient dy·(1−y²). */
export const tanhLayer = describable('tanhLayer', makeTanhLayer);
