/** The book's optimizers (ch. 6) and AdamW, each a chain of small transformations. */
import { mapTree } from '../tree.ts';
import { asSchedule, type Schedule } from './schedules.ts';
import {
  chain, counter, countOf, fromTransform, type ChainState, type GradientTransformation, type NoState, type Optimizer,
  type OptState, type Transforms,
} from './transform.ts';
import {
  adamInit, adamStep, addDecayedWeights, addL1, scaleByAdagrad, scaleByAdam, scaleByLearningRate, scaleByRms, trace,
  type ScaleByAdagradState, type ScaleByLearningRateState, type ScaleByRmsState, type ScaleByAdamState, type TraceState,
} from './transforms.ts';

/** Regularisation added to the gradient before the optimizer's own scaling. */
export interface Regularization {
  /** L2 weight decay λ: adds λ·w to the gradient (the book's weight_decay_lambda). */
  readonly weightDecay?: number;
  /** L1 penalty λ: adds λ·sign(w) to the gradient. */
  readonly l1?: number;
  /** Which parameter paths the penalties apply to (default: weights, not biases). */
  readonly mask?: (path: string) => boolean;
}

/**
 * The state of an optimizer chained from transformations with states Ss after the penalties
 * `Regularization` asks for: each penalty keeps an empty state at its position, first L2, then L1.
 */
export type RegularizedState<Ss extends readonly OptState[]> =
  ChainState<Ss> | ChainState<[NoState, ...Ss]> | ChainState<[NoState, NoState, ...Ss]>;

// which penalties come first depends on r at run time, so the chain is built untyped and the
// signature says which layouts it can have
function regularized<Ss extends readonly OptState[]>(r: Regularization, ...rest: Transforms<Ss>): Optimizer<RegularizedState<Ss>>;
function regularized(r: Regularization, ...rest: readonly GradientTransformation[]): Optimizer {
  return fromTransform(chain(
    ...(r.weightDecay ? [addDecayedWeights(r.weightDecay, r.mask)] : []),
    ...(r.l1 ? [addL1(r.l1, r.mask)] : []),
    ...rest,
  ));
}

/** State of `sgd`. */
export type SgdState = RegularizedState<[ScaleByLearningRateState]>;
/** State of `momentum` and `nesterov`. */
export type MomentumState = RegularizedState<[TraceState, ScaleByLearningRateState]>;
/** State of `adagrad`. */
export type AdagradState = RegularizedState<[ScaleByAdagradState, ScaleByLearningRateState]>;
/** State of `rmsprop`. */
export type RmspropState = RegularizedState<[ScaleByRmsState, ScaleByLearningRateState]>;
/** State of `adam`, fused or not: without penalties that of chain(scaleByAdam, scaleByLearningRate). */
export type AdamState = RegularizedState<[ScaleByAdamState, ScaleByLearningRateState]>;
/** State of `adamw`. */
export type AdamwState = ChainState<[ScaleByAdamState, NoState, ScaleByLearningRateState]>;

/** Stochastic gradient descent: w ← w − lr·g. */
export const sgd = (lr: number | Schedule = 0.01, r: Regularization = {}): Optimizer<SgdState> =>
  regularized(r, scaleByLearningRate(lr));

/** Momentum: v ← αv − lr·g; w ← w + v. */
export const momentum = (lr: number | Schedule = 0.01, alpha = 0.9, r: Regularization = {}): Optimizer<MomentumState> =>
  regularized(r, trace(alpha), scaleByLearningRate(lr));

/** Nesterov momentum (Sutskever's form, as optax and Lasagne): w ← w − lr·(g + α·t), t ← g + α·t. */
export const nesterov = (lr: number | Schedule = 0.01, alpha = 0.9, r: Regularization = {}): Optimizer<MomentumState> =>
  regularized(r, trace(alpha, true), scaleByLearningRate(lr));

/** AdaGrad: h ← h + g²; w ← w − lr·g/(√h + 1e-7). */
export const adagrad = (lr: number | Schedule = 0.01, r: Regularization = {}): Optimizer<AdagradState> =>
  regularized(r, scaleByAdagrad(), scaleByLearningRate(lr));

/** RMSprop: h ← ρh + (1−ρ)g²; w ← w − lr·g/(√h + 1e-7). */
export const rmsprop = (lr: number | Schedule = 0.01, decay = 0.99, r: Regularization = {}): Optimizer<RmspropState> =>
  regularized(r, scaleByRms(decay), scaleByLearningRate(lr));

/**
 * chain(scaleByAdam, scaleByLearningRate) then applyUpdates, in one kernel pass per tensor: the same
 * state (so checkpoints are interchangeable) with the learning rate and the update folded into
 * the Adam kernel, which reads and writes each tensor once instead of three times.
 */
const fusedAdam = (
  lr: number | Schedule, beta1: number, beta2: number, eps: number,
): Optimizer<ChainState<[ScaleByAdamState, ScaleByLearningRateState]>> => {
  const schedule = asSchedule(lr);
  return {
    init: (params) => ({ 0: adamInit(params), 1: { count: counter(0) } }),
    update: (grads, state, params) => {
      const step = countOf(state[1]);
      const r = adamStep(grads, state[0], beta1, beta2, eps, -schedule(step), params);
      // the new parameters in the parameters' own key order (the gradients come in backward order)
      return { params: mapTree(params, (_old, updated) => updated, r.updates), state: { 0: r.state, 1: { count: counter(step + 1) } } };
    },
  };
};

/** Adam with bias correction (Kingma & Ba): w ← w − lr·m̂/(√v̂ + ε). */
export const adam = (
  lr: number | Schedule = 0.001, beta1 = 0.9, beta2 = 0.999, r: Regularization = {}, eps = 1e-8,
): Optimizer<AdamState> => (r.weightDecay || r.l1
  ? regularized(r, scaleByAdam(beta1, beta2, eps), scaleByLearningRate(lr))
  : fusedAdam(lr, beta1, beta2, eps));

/** AdamW: Adam with decoupled weight decay w ← w − lr·(m̂/(√v̂+ε) + wd·w) (Loshchilov & Hutter). */
export const adamw = (
  lr: number | Schedule = 0.001, weightDecay = 0.01, beta1 = 0.9, beta2 = 0.999,
  mask?: (path: string) => boolean, eps = 1e-8,
): Optimizer<AdamwState> => fromTransform(chain(scaleByAdam(beta1, beta2, eps), addDecayedWeights(weightDecay, mask), scaleByLearningRate(lr)));

/** Optimizer names the command line accepts. */
export const optimizerNames = ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'] as const;
/** One of `optimizerNames`. */
export type OptimizerName = (typeof optimizerNames)[number];

/** An optimizer by name, with the book's defaults for everything but lr. */
export const optimizerByName = (name: OptimizerName, lr: number | Schedule, weightDecay = 0): Optimizer => {
  const r: Regularization = { weightDecay };
  switch (name) {
    case 'sgd': return sgd(lr, r);
    case 'momentum': return momentum(lr, 0.9, r);
    case 'nesterov': return nesterov(lr, 0.9, r);
    case 'adagrad': return adagrad(lr, r);
    case 'rmsprop': return rmsprop(lr, 0.99, r);
    case 'adam': return adam(lr, 0.9, 0.999, r);
    case 'adamw': return adamw(lr, weightDecay || 0.01);
  }
};
