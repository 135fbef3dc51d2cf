/**
 * A residual block y = x + f(x) (He et al. 2015). When f changes the shape, the shortcut is a
 * projection: a 1×1 convolution with the stride of the spatial reduction (or an affine map for
 * vectors), so that x can be added.
 */
import { add } from '../ops/elementwise.ts';
import { foldIn, split } from '../random.ts';
import { sameShape, showShape, type Shape } from '../tensor.ts';
import type { TreeRecord } from '../tree.ts';
import { affine } from './affine.ts';
import { conv2d } from './conv.ts';
import { inChild, requireCache, type Phase } from './errors.ts';
import { describable } from './describe.ts';
import { EMPTY, type Layer } from './layer.ts';

/** Options of `residual`. */
export interface ResidualOptions {
  /**
   * true: always project the shortcut; false: never (shapes must then agree);
   * omitted: project exactly when f changes the shape.
   */
  readonly projection?: boolean;
}

interface ResidualCache {
  readonly f: unknown;
  /** The shortcut layer and its cache, when the shortcut is projected. */
  readonly proj: { readonly layer: Layer; readonly cache: unknown } | undefined;
}

/** The stride s with ⌊(n−1)/s⌋ + 1 = m: a 1×1 window stepping over n positions lands m times. */
const strideFor = (n: number, m: number): number | undefined => {
  for (let s = 1; s <= n; s++) if (Math.floor((n - 1) / s) + 1 === m) return s;
  return undefined;
};

/** The shortcut layer from per-example inputShape to outputShape (a pure function of the shapes). */
const projectionFor = (inputShape: Shape, outputShape: Shape): Layer => {
  if (inputShape.length === 1 && outputShape.length === 1) return affine(outputShape[0]);
  if (inputShape.length === 3 && outputShape.length === 3) {
    const sh = strideFor(inputShape[1], outputShape[1]);
    const sw = strideFor(inputShape[2], outputShape[2]);
    if (sh !== undefined && sw !== undefined) return conv2d(outputShape[0], 1, 1, { stride: [sh, sw] });
  }
  throw new Error(`residual: no 1×1 projection maps input ${showShape(inputShape)} to f's output ${showShape(outputShape)}`);
};

const isEmpty = (r: TreeRecord): boolean => Object.keys(r).length === 0;

/** call(), with an error in it named after the child ("f" or "proj", its key in params). */
const child = <T>(phase: Phase, name: string, call: () => T): T => {
  try {
    return call();
  } catch (err) {
    throw inChild(phase, name, err);
  }
};

/** The block's state: f's state under "f", or nothing when f has none. */
const wrapState = (s: TreeRecord): TreeRecord => (isEmpty(s) ? {} : { f: s });

const makeResidual = (f: Layer, options: ResidualOptions = {}): Layer<TreeRecord, ResidualCache> => ({
  name: 'residual',
  init: (key, inputShape) => {
    const [kf, kp] = split(key, 2);
    const inner = f.init(kf, inputShape);
    const differs = !sameShape(inner.outputShape, inputShape);
    if (differs && options.projection === false) {
      throw new Error(`residual: f maps ${showShape(inputShape)} to ${showShape(inner.outputShape)} but projection is off`);
    }
    const params: Record<string, TreeRecord> = { f: inner.params };
    if (differs || options.projection === true) {
      params.proj = projectionFor(inputShape, inner.outputShape).init(kp, inputShape).params;
    }
    return { params, state: wrapState(inner.state), outputShape: inner.outputShape };
  },
  forward: (params, x, ctx) => {
    const inner = child('forward', 'f', () => f.forward((params.f as TreeRecord | undefined) ?? EMPTY, x, {
      mode: ctx.mode, key: foldIn(ctx.key, 0), state: (ctx.state.f as TreeRecord | undefined) ?? EMPTY,
    }));
    const state = wrapState(inner.state);
    const projParams = params.proj as TreeRecord | undefined;
    if (projParams === undefined) {
      if (!sameShape(inner.y.shape, x.shape)) {
        throw new Error(`residual: f maps ${showShape(x.shape)} to ${showShape(inner.y.shape)} and there is no projection`);
      }
      return { y: add(x, inner.y), cache: { f: inner.cache, proj: undefined }, state };
    }
    const layer = projectionFor(x.shape.slice(1), inner.y.shape.slice(1));
    const p = child('forward', 'proj', () => layer.forward(projParams, x, { mode: ctx.mode, key: foldIn(ctx.key, 1), state: EMPTY }));
    return { y: add(p.y, inner.y), cache: { f: inner.cache, proj: { layer, cache: p.cache } }, state };
  },
  backward: (params, cache, dy) => {
    requireCache('residual', cache);
    const inner = child('backward', 'f', () => f.backward((params.f as TreeRecord | undefined) ?? EMPTY, cache.f, dy));
    if (cache.proj === undefined) {
      const grads: TreeRecord = { f: inner.grads };
      return { dx: add(inner.dx, dy), grads };
    }
    const proj = cache.proj;
    const p = child('backward', 'proj', () => proj.layer.backward((params.proj as TreeRecord | undefined) ?? EMPTY, proj.cache, dy));
    return { dx: add(inner.dx, p.dx), grads: { f: inner.grads, proj: p.grads } };
  },
});

/** y = x + f(x), with a projected shortcut when f changes the shape. Params: { f, proj? }; state: { f? }. */
export const residual = describable('residual', makeResidual);
