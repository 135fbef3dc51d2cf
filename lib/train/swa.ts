/**
 * Stochastic weight averaging (Izmailov et al. 2018): the mean of the parameters at chosen step
 * counts (epoch or cycle ends) over the last part of a run, as one model, with its batch-norm
 * statistics recomputed on training data. The running sum lives in the optimizer state, so it is
 * checkpointed with the run and a resumed run averages the same bits.
 */
import { trainCtx } from '../layers/layer.ts';
import type { Layer } from '../layers/layer.ts';
import type { Optimizer, OptState } from '../optim/transform.ts';
import { foldIn, type Key } from '../random.ts';
import { allocate, cast, wrap, zeros, type Tensor } from '../tensor.ts';
import { isTensor, leaves, mapTree, type TreeRecord } from '../tree.ts';
import { orderedBatches, sizeOfDataset, type Examples } from '../data/dataset.ts';

/** When SWA averages: after every step count n ≥ startStep that is a multiple of everySteps. */
export interface SwaOptions {
  /** The first step count that may be averaged (e.g. the end of the first averaged epoch). */
  readonly startStep: number;
  /** Average at multiples of this many steps (an epoch, or a warm-restart cycle). */
  readonly everySteps: number;
}

/** The SWA part of the optimizer state: a float64 running sum of the parameters, how many were summed, and the steps taken. */
export type SwaState = { readonly sum: TreeRecord; readonly count: Tensor; readonly steps: Tensor };

/** The state of an optimizer wrapped by `withSwa`. */
export type SwaOptState = { readonly inner: OptState; readonly swa: SwaState };

const scalar = (v: number): Tensor => wrap(Float64Array.of(v), [1]);

/** Whether step count n is one that `options` averages. */
export const swaAveragesAt = (options: SwaOptions, n: number): boolean => n >= options.startStep && n % options.everySteps === 0;

/**
 * `inner` that also sums the updated parameters at the step counts `options` names. The sum is
 * float64 whatever the parameters' dtype, so the mean loses nothing to the order of additions.
 */
export const withSwa = (inner: Optimizer, options: SwaOptions): Optimizer<SwaOptState> => {
  if (!(Number.isInteger(options.everySteps) && options.everySteps >= 1)) throw new Error(`withSwa: everySteps must be a whole number ≥ 1, got ${options.everySteps}`);
  if (!(Number.isInteger(options.startStep) && options.startStep >= 1)) throw new Error(`withSwa: startStep must be a whole number ≥ 1, got ${options.startStep}`);
  return {
    init: (params) => ({
      inner: inner.init(params),
      swa: { sum: mapTree(params, (p) => zeros(p.shape, 'float64')), count: scalar(0), steps: scalar(0) },
    }),
    update: (grads, state, params) => {
      const r = inner.update(grads, state.inner, params);
      const steps = state.swa.steps.data[0] + 1;
      const averaged = swaAveragesAt(options, steps);
      const sum = !averaged ? state.swa.sum : mapTree(state.swa.sum, (s, p) => {
        const out = allocate('float64', s.size, s.shape);
        for (let i = 0; i < out.length; i++) out[i] = s.data[i] + p.data[i];
        return wrap(out, s.shape);
      }, r.params);
      return {
        params: r.params,
        state: { inner: r.state, swa: { sum, count: averaged ? scalar(state.swa.count.data[0] + 1) : state.swa.count, steps: scalar(steps) } },
      };
    },
  };
};

/** Whether an optimizer state is one `withSwa` made. */
export const isSwaOptState = (s: OptState): s is SwaOptState => {
  const swa = s.swa;
  return s.inner !== undefined && swa !== undefined && !isTensor(swa) && isTensor(swa.count) && isTensor(swa.steps) && swa.sum !== undefined && !isTensor(swa.sum);
};

/** The averaged parameters (in the dtypes of `like`) and how many were averaged; undefined before the first. */
export const swaAverage = (s: SwaOptState, like: TreeRecord): { readonly params: TreeRecord; readonly count: number } | undefined => {
  const count = s.swa.count.data[0];
  if (count === 0) return undefined;
  const params = mapTree(s.swa.sum, (sum, p) => {
    const out = allocate('float64', sum.size, sum.shape);
    for (let i = 0; i < out.length; i++) out[i] = sum.data[i] / count;
    return cast(wrap(out, sum.shape), p.dtype);
  }, like);
  return { params, count };
};

/** The inner optimizer's state of a `withSwa` state (a plain run's state at the same step). */
export const innerOptState = (s: SwaOptState): OptState => s.inner;

const PROBE_EXAMPLES = 2;

/**
 * Batch-norm running statistics recomputed for `params` by one pass over `data` in training mode
 * (batches of `batchSize` in order; dropout masks from `key`). Each state leaf is taken to follow
 * batch norm's update new = m·old + (1 − m)·batch. Each batch runs from a zero state, so its output
 * state is (1 − m)·(the batch's statistic); m is measured per leaf by one probe on an all-zero
 * batch (zero state vs ones). The result is the batch statistics' mean weighted by batch size: a
 * cumulative average, as PyTorch's bn_update with momentum None, not a momentum blend that would
 * remember mostly the last few batches. The mean is the data's mean; the variance is the mean
 * within-batch (biased) variance, which one batch of all the data makes the data's variance.
 */
export const recomputeBatchNormStats = (
  net: Layer, params: TreeRecord, state: TreeRecord, data: Examples, batchSize: number, key: Key = [0, 0],
): TreeRecord => {
  const n = sizeOfDataset(data);
  if (n === 0) throw new Error('recomputeBatchNormStats: the data holds no examples');
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`recomputeBatchNormStats: batchSize must be a whole number ≥ 1, got ${batchSize}`);
  if (leaves(state).length === 0) return state;
  const zero = mapTree(state, (t) => zeros(t.shape, t.dtype));
  const one = mapTree(state, (t) => wrap(allocate(t.dtype, t.size, t.shape).fill(1), t.shape));
  // (1 − m) per leaf, from the probe: an all-zero batch of the data's shape, from a zero and a ones state
  const probe = zeros([PROBE_EXAMPLES, ...exampleShape(data)], 'x' in data ? data.x.dtype : 'float32');
  const s0 = net.forward(params, probe, trainCtx(foldIn(key, 0), zero)).state;
  const s1 = net.forward(params, probe, trainCtx(foldIn(key, 0), one)).state;
  const keep = mapTree(state, (t, a, c) => float64Of(t, (j) => 1 - (c.data[j] - a.data[j])), s0, s1);
  for (const [path, t] of leaves(keep)) {
    for (let j = 0; j < t.size; j++) {
      if (!(t.data[j] > 1e-6)) throw new Error(`recomputeBatchNormStats: state "${path}" does not follow the batch (momentum 1, or not a batch-norm statistic)`);
    }
  }
  // the batch statistics' sum weighted by batch size, in float64
  let total = mapTree(state, (t) => zeros(t.shape, 'float64'));
  let i = 0;
  for (const b of orderedBatches(data, batchSize)) {
    const out = net.forward(params, b.x, trainCtx(foldIn(key, ++i), zero)).state;
    const w = b.labels.length / n;
    total = mapTree(total, (sum, s) => float64Of(sum, (j) => sum.data[j] + w * s.data[j]), out);
  }
  return mapTree(state, (t, sum, k) => cast(float64Of(t, (j) => sum.data[j] / k.data[j]), t.dtype), total, keep);
};

/** A float64 tensor of t's shape from a function of the flat index. */
const float64Of = (t: Tensor, f: (j: number) => number): Tensor => {
  const out = allocate('float64', t.size, t.shape);
  for (let j = 0; j < out.length; j++) out[j] = f(j);
  return wrap(out, t.shape);
};

/** The shape of one example of the data. */
const exampleShape = (data: Examples): readonly number[] => ('x' in data ? data.x.shape : data.shape).slice(1);
