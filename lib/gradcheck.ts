/** Numerical gradients by central differences and a gradient check for any layer, in float64. */
import type { Layer, Mode } from './layers/layer.ts';
import { key as makeKey, normal, split, type Key } from './random.ts';
import { allocate, cast, wrap, type Shape, type Tensor } from './tensor.ts';
import { leaves, mapTree, type Tree, type TreeRecord } from './tree.ts';

/** ∂f/∂x by central differences (f(x+h) − f(x−h)) / 2h, in float64. */
export const numericalGradient = (f: (x: Tensor) => number, x: Tensor, h = 1e-5): Tensor => {
  const base = cast(x, 'float64').data;
  const grad = allocate('float64', x.size);
  for (let i = 0; i < x.size; i++) {
    const plus = Float64Array.from(base); plus[i] += h;
    const minus = Float64Array.from(base); minus[i] -= h;
    grad[i] = (f(wrap(plus, x.shape)) - f(wrap(minus, x.shape))) / (2 * h);
  }
  return wrap(grad, x.shape);
};

/** ‖a − b‖ / (‖a‖ + ‖b‖): scale-free, and not fooled by single near-zero entries. */
export const relativeError = (a: Tensor, b: Tensor): number => {
  let diff = 0; let na = 0; let nb = 0;
  for (let i = 0; i < a.size; i++) {
    diff += (a.data[i] - b.data[i]) ** 2;
    na += a.data[i] ** 2;
    nb += b.data[i] ** 2;
  }
  const denom = Math.sqrt(na) + Math.sqrt(nb);
  return denom === 0 ? 0 : Math.sqrt(diff) / denom;
};

/** Options of `gradientCheck`. */
export interface GradientCheckOptions {
  /** Per-example input shape given to init. */
  readonly inputShape: Shape;
  /** Examples in the batch (default 2). */
  readonly batch?: number;
  readonly seed?: number;
  /** Mode of the forward pass (default train). */
  readonly mode?: Mode;
  /** Input to use instead of a standard normal one (e.g. to keep away from kinks). */
  readonly input?: Tensor;
  /** Step of the central difference (default 1e-5). */
  readonly h?: number;
}

/** Relative error of the input gradient and of every parameter gradient (by path). */
export interface GradientCheckResult {
  readonly errors: Readonly<Record<string, number>>;
  readonly maxError: number;
}

const replaceLeaf = (tree: TreeRecord, path: string, value: Tensor): TreeRecord => {
  const [head, ...rest] = path.split('/');
  const child = tree[head];
  return { ...tree, [head]: rest.length === 0 ? value : replaceLeaf(child as TreeRecord, rest.join('/'), value) };
};

/**
 * Checks a layer's backward against numerical gradients of f = Σ forward(x)·r for a random r,
 * with parameters and input in float64 and one fixed key (so dropout masks do not change).
 */
export const gradientCheck = (layer: Layer, options: GradientCheckOptions): GradientCheckResult => {
  const [kInit, kX, kR, kCtx]: readonly Key[] = split(makeKey(options.seed ?? 0), 4);
  const init = layer.init(kInit, options.inputShape);
  const to64 = <T extends Tree>(t: T): T => mapTree(t, (leaf) => cast(leaf, 'float64'));
  const params = to64(init.params);
  const state = to64(init.state);
  const x = options.input === undefined
    ? normal(kX, [options.batch ?? 2, ...options.inputShape], 0, 1, 'float64')
    : cast(options.input, 'float64');
  const ctx = { mode: options.mode ?? 'train', key: kCtx, state } as const;
  const fwd = layer.forward(params, x, ctx);
  const r = normal(kR, fwd.y.shape, 0, 1, 'float64');
  const project = (y: Tensor): number => {
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.data[i] * r.data[i];
    return s;
  };
  const analytic = layer.backward(params, fwd.cache, r);
  const h = options.h ?? 1e-5;
  const errors: Record<string, number> = {
    x: relativeError(analytic.dx, numericalGradient((xx) => project(layer.forward(params, xx, ctx).y), x, h)),
  };
  const gradLeaves = new Map(leaves(analytic.grads));
  for (const [path, p] of leaves(params)) {
    const g = gradLeaves.get(path);
    if (g === undefined) throw new Error(`gradientCheck: backward gave no gradient for "${path}"`);
    const numeric = numericalGradient((pp) => project(layer.forward(replaceLeaf(params, path, pp), x, ctx).y), p, h);
    errors[path] = relativeError(g, numeric);
  }
  return { errors, maxError: Math.max(...Object.values(errors)) };
};
