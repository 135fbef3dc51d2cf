/** Affine (fully connected) layer: y = x·W + b, flattening N-D input per example (book ch. 5). */
import { kernelsFor } from '../kernels/backend.ts';
import { he, type Initializer } from './init.ts';
import { matmul } from '../ops/linalg.ts';
import { reshape } from '../ops/shape.ts';
import { add } from '../ops/elementwise.ts';
import { split } from '../random.ts';
import { allocate, showShape, sizeOf, wrap, zeros, type Shape, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { requireCache, requireParams, requireRank } from './errors.ts';
import { describable } from './describe.ts';
import type { Layer } from './layer.ts';

/** Parameters of an affine layer: W is (in, out), b is (out). */
export type AffineParams = { readonly W: Tensor; readonly b: Tensor };

/** Options of `affine`. */
export interface AffineOptions {
  /** Weight initialiser (default He, for ReLU networks). */
  readonly init?: Initializer;
}

interface AffineCache { readonly x2: Tensor; readonly inputShape: Shape }

const PARAMS = ['W', 'b'] as const;

const makeAffine = (units: number, options: AffineOptions = {}): Layer<AffineParams, AffineCache> => {
  if (!(Number.isInteger(units) && units > 0)) throw new Error(`affine: units must be a positive integer, got ${units}`);
  const initW = options.init ?? he();
  return {
    name: 'affine',
    init: (key, inputShape) => {
      requireRank('affine', 'init', inputShape, 1, Infinity, '[…features]');
      const fanIn = sizeOf(inputShape);
      if (fanIn === 0) throw new Error(`affine: input shape ${showShape(inputShape)} is empty`);
      const [kw] = split(key, 1);
      return { params: { W: initW(kw, [fanIn, units], fanIn, units), b: zeros([units]) }, state: {}, outputShape: [units] };
    },
    forward: (params, x) => {
      requireParams('affine', 'forward', params, PARAMS);
      requireRank('affine', 'forward', x.shape, 2, Infinity, '[N, …features]');
      const n = x.shape[0];
      const fanIn = params.W.shape[0];
      if (x.size !== n * fanIn) {
        throw new Error(`affine: input ${showShape(x.shape)} does not flatten to [${n},${fanIn}] for W ${showShape(params.W.shape)}`);
      }
      const x2 = reshape(x, [n, fanIn]);
      return { y: add(matmul(x2, params.W), params.b), cache: { x2, inputShape: x.shape }, state: {} };
    },
    backward: (params, cache, dy) => {
      requireParams('affine', 'backward', params, PARAMS);
      requireCache('affine', cache);
      const dx = reshape(matmul(dy, params.W, { transposeB: true }), cache.inputShape);
      const dW = matmul(cache.x2, dy, { transposeA: true });
      const units2 = dy.shape[1];
      const db = allocate(dy.dtype, units2);
      kernelsFor(dy.dtype).sumRows(unsafeMutableData(dy), dy.shape[0], units2, db);
      return { dx, grads: { W: dW, b: wrap(db, [units2]) } };
    },
  };
};

/** A fully connected layer with `units` outputs. */
export const affine = describable('affine', makeAffine);
