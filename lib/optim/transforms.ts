/** Small gradient transformations that optimizers are chained from (after optax). */
import { kernelsFor, outputBuffer } from '../kernels/backend.ts';
import { add, mul, scaleShift, sign, square, sqrt, div, flushSubnormal } from '../ops/elementwise.ts';
import { wrap, zerosLike, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { isTensor, leaves, mapTree, mapTrees, type TreeRecord } from '../tree.ts';
import { asSchedule, type Schedule } from './schedules.ts';
import { counter, countOf, type GradientTransformation, type NoState } from './transform.ts';

// Type-level only: each state names the transformation that makes it, so one transformation's
// state is not accepted by another whose fields it happens to include (Adam's has a `count` too).
declare const madeBy: unique symbol;

/** State of `scaleByLearningRate`: the steps taken (the schedule's input). */
export type ScaleByLearningRateState = { readonly count: Tensor; readonly [madeBy]?: 'scaleByLearningRate' };
/** State of `trace`: the momentum trace, one tensor per parameter. */
export type TraceState = { readonly trace: TreeRecord; readonly [madeBy]?: 'trace' };
/** State of `scaleByAdagrad`: the running sum of squared gradients. */
export type ScaleByAdagradState = { readonly sumOfSquares: TreeRecord; readonly [madeBy]?: 'scaleByAdagrad' };
/** State of `scaleByRms`: the moving average of squared gradients. */
export type ScaleByRmsState = { readonly nu: TreeRecord; readonly [madeBy]?: 'scaleByRms' };
/** State of `scaleByAdam`: the steps taken and the first and second moments. */
export type ScaleByAdamState = { readonly count: Tensor; readonly mu: TreeRecord; readonly nu: TreeRecord; readonly [madeBy]?: 'scaleByAdam' };

const zerosTree = (params: TreeRecord): TreeRecord => mapTree(params, zerosLike);

/** Multiplies updates by a constant. */
export const scale = (factor: number): GradientTransformation<NoState> => ({
  init: () => ({}),
  update: (u, state) => ({ updates: mapTree(u, (g) => scaleShift(g, factor, 0)), state }),
});

/** Multiplies updates by −lr(step): the descent step, with a constant or scheduled rate. */
export const scaleByLearningRate = (lr: number | Schedule): GradientTransformation<ScaleByLearningRateState> => {
  const schedule = asSchedule(lr);
  return {
    init: () => ({ count: counter(0) }),
    update: (u, state) => {
      const step = countOf(state);
      const rate = schedule(step);
      return { updates: mapTree(u, (g) => scaleShift(g, -rate, 0)), state: { count: counter(step + 1) } };
    },
  };
};

/**
 * Momentum trace t ← g + decay·t; with `nesterov` the update is g + decay·t (look-ahead).
 * Subnormal entries are stored as 0, as Adam's moments are (see Kernels.adam).
 */
export const trace = (decay: number, nesterov = false): GradientTransformation<TraceState> => ({
  init: (params) => ({ trace: zerosTree(params) }),
  update: (u, state) => {
    const t = mapTree(u, (g, old) => flushSubnormal(add(g, scaleShift(old, decay, 0))), state.trace);
    const updates = nesterov ? mapTree(u, (g, tt) => add(g, scaleShift(tt, decay, 0)), t) : t;
    return { updates, state: { trace: t } };
  },
});

/** AdaGrad scaling: h ← h + g²; g / (√h + eps) (the book's eps 1e-7). */
export const scaleByAdagrad = (eps = 1e-7): GradientTransformation<ScaleByAdagradState> => ({
  init: (params) => ({ sumOfSquares: zerosTree(params) }),
  update: (u, state) => {
    const h = mapTree(u, (g, old) => add(old, square(g)), state.sumOfSquares);
    return { updates: mapTree(u, (g, hh) => div(g, scaleShift(sqrt(hh), 1, eps)), h), state: { sumOfSquares: h } };
  },
});

/** RMSprop scaling: h ← ρh + (1−ρ)g²; g / (√h + eps) (the book's ρ 0.99, eps 1e-7); subnormal h stored as 0. */
export const scaleByRms = (decay = 0.99, eps = 1e-7): GradientTransformation<ScaleByRmsState> => ({
  init: (params) => ({ nu: zerosTree(params) }),
  update: (u, state) => {
    const nu = mapTree(u, (g, old) => flushSubnormal(add(scaleShift(old, decay, 0), scaleShift(square(g), 1 - decay, 0))), state.nu);
    return { updates: mapTree(u, (g, v) => div(g, scaleShift(sqrt(v), 1, eps)), nu), state: { nu } };
  },
});

/**
 * One Adam step as one kernel call per tensor: new moments, and factor·m̂/(√v̂ + eps) with bias
 * correction as the updates, or, given params, params plus that (the new parameters).
 */
export const adamStep = (u: TreeRecord, state: ScaleByAdamState, beta1: number, beta2: number, eps: number, factor: number,
  params?: TreeRecord): { readonly updates: TreeRecord; readonly state: ScaleByAdamState } => {
  const t = countOf(state) + 1;
  const c2 = Math.sqrt(1 - beta2 ** t);
  const step = { beta1, beta2, eps: eps * c2, stepSize: (factor * c2) / (1 - beta1 ** t) };
  // three trees out, in the structure and key order of the updates (the moments are saved that way)
  const [updates, mu, nu] = mapTrees([u, state.mu, state.nu, ...(params === undefined ? [] : [params])], 3, (g, m, v, p?: Tensor) => {
    const outM = outputBuffer(g.dtype, g.size);
    const outV = outputBuffer(g.dtype, g.size);
    const outU = outputBuffer(g.dtype, g.size);
    kernelsFor(g.dtype).adam({
      g: unsafeMutableData(g), m: unsafeMutableData(m), v: unsafeMutableData(v), step,
      params: p === undefined ? undefined : unsafeMutableData(p), outM, outV, outUpdate: outU,
    });
    return [wrap(outU, g.shape), wrap(outM, g.shape), wrap(outV, g.shape)];
  });
  return { updates, state: { count: counter(t), mu, nu } };
};

/** The initial state of `scaleByAdam`: no steps, zero moments. */
export const adamInit = (params: TreeRecord): ScaleByAdamState => ({ count: counter(0), mu: zerosTree(params), nu: zerosTree(params) });

/** Adam scaling m̂/(√v̂ + eps) with bias correction, fused into one kernel per tensor. */
export const scaleByAdam = (beta1 = 0.9, beta2 = 0.999, eps = 1e-8): GradientTransformation<ScaleByAdamState> => ({
  init: adamInit,
  update: (u, state) => adamStep(u, state, beta1, beta2, eps, 1),
});

/** Adds wd·params to the updates: before a scaling it is L2 regularisation, after it decoupled decay (AdamW). */
export const addDecayedWeights = (weightDecay: number, mask?: (path: string) => boolean): GradientTransformation<NoState> => ({
  init: () => ({}),
  update: (u, state, params) => ({
    updates: maskedMap(u, params, mask, (g, p) => add(g, scaleShift(p, weightDecay, 0))),
    state,
  }),
});

/** Adds λ·sign(params) to the gradient: the subgradient of the L1 penalty λ·Σ|w|. */
export const addL1 = (lambda: number, mask?: (path: string) => boolean): GradientTransformation<NoState> => ({
  init: () => ({}),
  update: (u, state, params) => ({
    updates: maskedMap(u, params, mask, (g, p) => add(g, mul(sign(p), lambda))),
    state,
  }),
});

/** By default decay applies to weights, not biases or batch-norm shifts (paths ending in "/b" or "/beta"). */
export const weightsOnly = (path: string): boolean => !/(^|\/)(b|beta|bias)$/.test(path);

const maskedMap = (
  u: TreeRecord, params: TreeRecord, mask: ((path: string) => boolean) | undefined,
  f: (g: Tensor, p: Tensor) => Tensor,
): TreeRecord => {
  const paths = leaves(params).map(([path]) => path);
  const use = new Set(paths.filter(mask ?? weightsOnly));
  const go = (node: TreeRecord, pNode: TreeRecord, prefix: string): TreeRecord =>
    Object.fromEntries(Object.keys(node).map((k) => {
      const path = prefix === '' ? k : `${prefix}/${k}`;
      const g = node[k];
      const p = pNode[k];
      if (isTensor(g) && isTensor(p)) return [k, use.has(path) ? f(g, p) : g];
      if (isTensor(g) || isTensor(p) || p === undefined) throw new Error(`tree: "${path}" is a tensor in one tree but not in another`);
      return [k, go(g, p, path)];
    }));
  return go(u, params, '');
};
