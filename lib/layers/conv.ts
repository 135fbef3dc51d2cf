/**
 * 2-D convolution over NCHW input (book ch. 7): im2col → GEMM → bias, and back via col2im, fused in
 * the kernels (conv2dForward/conv2dBackward) so the column matrix never leaves them; optionally
 * with a ReLU and max pooling fused on (conv2dPoolForward/conv2dPoolBackward).
 */
import { kernelsFor, outputBuffer } from '../kernels/backend.ts';
import type { FloatArray, Window2D } from '../kernels/kernels.ts';
import { he, type Initializer } from './init.ts';
import { split } from '../random.ts';
import { allocate, showShape, sizeOf, wrap, zeros, type Shape, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { requireCache, requireParams } from './errors.ts';
import { describable } from './describe.ts';
import type { Layer } from './layer.ts';
import { tilingPoolWindow } from './pooling.ts';
import { pairOf, windowOutputShape, windowOver, type Pair, type WindowSpec } from './window.ts';

/** Parameters of a convolution: W is (out, in, kh, kw), b is (out) — the book's layout. */
export type Conv2dParams = { readonly W: Tensor; readonly b: Tensor };

const CONV_PARAMS = ['W', 'b'] as const;

/** Options of `conv2d`. */
export interface Conv2dOptions {
  /** Step of the window (default 1). */
  readonly stride?: Pair;
  /** Zero padding on each side (default 0). */
  readonly pad?: Pair;
  /** Weight initialiser, given fanIn = in·kh·kw (default He). */
  readonly init?: Initializer;
  /**
   * 'relu' fuses a ReLU onto the output inside the kernel: the same function as conv2d followed
   * by reluLayer, with one pass and one copy fewer each way (default 'none').
   */
  readonly activation?: 'none' | 'relu';
  /**
   * Fuses max pooling over pool×pool windows (stride pool) onto the output, after the activation:
   * the same function as conv2d followed by maxPool2d(pool), without the full-size output ever
   * leaving the kernel (default: no pooling).
   */
  readonly pool?: number;
}

interface Conv2dCache {
  readonly x: Tensor;
  readonly g: Window2D;
  readonly inputGrad: boolean;
  /** The output, kept when a ReLU is fused (its gradient needs it). */
  readonly reluOutput: FloatArray | undefined;
  /**
   * With fused pooling: where each pooled maximum came from in the convolution output. Inference
   * skips it (backward, if it is called anyway, finds it again from x).
   */
  readonly argmax?: Int32Array;
}

const makeConv2d = (filters: number, kh: number, kw: number = kh, options: Conv2dOptions = {}): Layer<Conv2dParams, Conv2dCache> => {
  if (!(Number.isInteger(filters) && filters > 0)) throw new Error(`conv2d: filters must be a positive integer, got ${filters}`);
  const kernel = pairOf('conv2d', 'kernel size', [kh, kw], 1);
  const spec: WindowSpec = {
    kernel, stride: pairOf('conv2d', 'stride', options.stride ?? 1, 1), pad: pairOf('conv2d', 'pad', options.pad ?? 0, 0),
  };
  const initW = options.init ?? he();
  const activation = options.activation ?? 'none';
  if (activation !== 'none' && activation !== 'relu') {
    throw new Error(`conv2d: activation must be 'none' or 'relu', got ${JSON.stringify(activation)}`);
  }
  const relu = activation === 'relu';
  const pool = options.pool;
  if (pool !== undefined && !(Number.isInteger(pool) && pool >= 1)) {
    throw new Error(`conv2d: pool must be a whole number ≥ 1, got ${JSON.stringify(pool)}`);
  }
  /** Per-example output shape for geometry g, or an error when the pooling window does not fit. */
  const outputShapeOf = (g: Window2D): Shape => {
    const [, oh, ow] = windowOutputShape(g, filters);
    if (pool === undefined) return [filters, oh, ow];
    if (pool > oh || pool > ow) throw new Error(`conv2d: a ${pool}×${pool} pool does not fit the ${oh}×${ow} convolution output`);
    return [filters, Math.floor(oh / pool), Math.floor(ow / pool)];
  };
  return {
    name: 'conv',
    ...(pool === undefined ? {
      fuseNext: (next: Layer) => {
        const window = tilingPoolWindow(next);
        return window === undefined ? undefined : conv2d(filters, kh, kw, { ...options, pool: window });
      },
    } : {}),
    init: (key, inputShape) => {
      const g = windowOver('conv2d', spec, 1, inputShape);
      const fanIn = g.c * g.kh * g.kw;
      const [kW] = split(key, 1);
      return {
        params: { W: initW(kW, [filters, g.c, g.kh, g.kw], fanIn, filters * g.kh * g.kw), b: zeros([filters]) },
        state: {},
        outputShape: outputShapeOf(g),
      };
    },
    forward: (params, x, ctx) => {
      requireParams('conv2d', 'forward', params, CONV_PARAMS);
      const [f, c] = params.W.shape;
      if (x.shape.length !== 4 || x.shape[1] !== c) {
        throw new Error(`conv2d: input ${showShape(x.shape)} is not [N,${c},H,W] as W ${showShape(params.W.shape)} needs`);
      }
      if (x.dtype !== params.W.dtype) throw new Error(`conv2d: input is ${x.dtype} but W is ${params.W.dtype}`);
      const g = windowOver('conv2d', spec, x.shape[0], x.shape.slice(1));
      const outShape = [g.n, ...outputShapeOf(g)];
      const y = outputBuffer(x.dtype, sizeOf(outShape));
      const inputGrad = ctx.inputGrad ?? true;
      if (pool !== undefined) {
        const argmax = ctx.mode === 'inference' ? undefined : new Int32Array(y.length);
        kernelsFor(x.dtype).conv2dPoolForward({
          x: unsafeMutableData(x), w: unsafeMutableData(params.W), bias: unsafeMutableData(params.b), g, filters: f, relu, pool,
          out: y, argmax,
        });
        const cache = { x, g, inputGrad, reluOutput: relu ? y : undefined, argmax };
        return { y: wrap(y, outShape), cache, state: {} };
      }
      // one fused kernel: im2col, GEMM and bias, written straight in NCHW (no transposes)
      kernelsFor(x.dtype).conv2dForward({
        x: unsafeMutableData(x), w: unsafeMutableData(params.W), bias: unsafeMutableData(params.b), g, filters: f, relu, out: y,
      });
      const cache = { x, g, inputGrad, reluOutput: relu ? y : undefined };
      return { y: wrap(y, outShape), cache, state: {} };
    },
    backward: (params, cache, dy) => {
      requireParams('conv2d', 'backward', params, CONV_PARAMS);
      requireCache('conv2d', cache);
      const f = params.W.shape[0];
      const { n, c, h, w } = cache.g;
      const dW = outputBuffer(dy.dtype, params.W.size);
      const db = allocate(dy.dtype, f);
      // no dx buffer tells the kernel to skip the input gradient (zeros are returned instead)
      const dxOut = cache.inputGrad ? outputBuffer(dy.dtype, n * c * h * w) : undefined;
      if (pool !== undefined) {
        const argmax = cache.argmax ?? new Int32Array(dy.size);
        if (cache.argmax === undefined) {
          // an inference forward kept no argmax: the same forward again finds it (and the same y)
          kernelsFor(dy.dtype).conv2dPoolForward({
            x: unsafeMutableData(cache.x), w: unsafeMutableData(params.W), bias: unsafeMutableData(params.b), g: cache.g, filters: f,
            relu, pool, out: outputBuffer(dy.dtype, dy.size), argmax,
          });
        }
        kernelsFor(dy.dtype).conv2dPoolBackward({
          x: unsafeMutableData(cache.x), w: unsafeMutableData(params.W), dy: unsafeMutableData(dy), argmax, reluPooled: cache.reluOutput,
          g: cache.g, filters: f, pool, outDx: dxOut, outDw: dW, outDb: db,
        });
      } else {
        kernelsFor(dy.dtype).conv2dBackward({
          x: unsafeMutableData(cache.x), w: unsafeMutableData(params.W), dy: unsafeMutableData(dy), g: cache.g, filters: f,
          reluOutput: cache.reluOutput, outDx: dxOut, outDw: dW, outDb: db,
        });
      }
      const dx = dxOut !== undefined ? wrap(dxOut, [n, c, h, w]) : zeros([n, c, h, w], dy.dtype);
      return { dx, grads: { W: wrap(dW, params.W.shape), b: wrap(db, [f]) } };
    },
  };
};

/** A convolution with `filters` output channels and a kh×kw kernel (kw defaults to kh). */
export const conv2d = describable('conv2d', makeConv2d);
