/** Training as a fold over minibatches: pure steps, explicit state, a history of what happened. */
import { inferenceCtx, trainCtx } from '../layers/layer.ts';
import type { Optimizer, OptState } from '../optim/transform.ts';
import { foldIn, split, type Key } from '../random.ts';
import type { Shape } from '../tensor.ts';
import type { TreeRecord } from '../tree.ts';
import { batchesPerEpoch, epochBatches, headOfDataset, sizeOfDataset, sliceDataset, type Dataset, type Examples } from '../data/dataset.ts';
import { BOUND_STEPS, divergenceBound, DivergenceError, firstNonFinite, formatLoss } from './divergence.ts';
import { evaluateAccuracy, evaluateModel, type Model } from './model.ts';
import { nextTurn } from '../platform/host.ts';

export { DivergenceError } from './divergence.ts';

/** Everything training carries from one step to the next. */
export interface TrainState {
  readonly params: TreeRecord;
  /** Layer state (batch-norm running statistics). */
  readonly state: TreeRecord;
  readonly optState: OptState;
  /** The run's key; shuffles and dropout masks are derived from it by epoch and step. */
  readonly key: Key;
  /** Optimizer steps taken so far. */
  readonly step: number;
  /** Epochs completed so far. */
  readonly epoch: number;
  /** Steps already taken in the unfinished epoch (a run stopped between epochs); absent means 0. */
  readonly epochStep?: number;
}

/** One epoch's record. */
export interface EpochRecord {
  readonly epoch: number;
  readonly meanLoss: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number | null;
  readonly seconds: number;
  /** On the validation set, when fit was given one. */
  readonly validationAccuracy?: number;
  readonly validationLoss?: number;
}

/** Loss per step and accuracies per epoch. */
export interface History {
  readonly loss: readonly number[];
  readonly epochs: readonly EpochRecord[];
}

/** An empty history. */
export const emptyHistory: History = { loss: [], epochs: [] };

/** Initial training state: parameters from the key, optimizer state from the parameters. */
export const initTrainState = (model: Model, optimizer: Optimizer, key: Key, inputShape: Shape): TrainState => {
  const [kInit, kRun] = split(key, 2);
  const init = model.net.init(kInit, inputShape);
  return { params: init.params, state: init.state, optState: optimizer.init(init.params), key: kRun, step: 0, epoch: 0 };
};

/** One pure training step: forward, loss, backward, optimizer update. Refuses a loss that is not finite. */
export const trainStep = (model: Model, optimizer: Optimizer) =>
  (ts: TrainState, batch: Dataset): { readonly state: TrainState; readonly loss: number } => {
    // the input images need no gradient: the first layer may skip computing it
    const ctx = { ...trainCtx(foldIn(foldIn(ts.key, 1), ts.step), ts.state), inputGrad: false };
    const fwd = model.net.forward(ts.params, batch.x, ctx);
    const { value, dy } = model.loss(fwd.y, batch.labels);
    if (!Number.isFinite(value)) throw new DivergenceError(ts.step, ts.epoch, `loss is ${value}`);
    const { grads } = model.net.backward(ts.params, fwd.cache, dy);
    const next = optimizer.update(grads, ts.optState, ts.params);
    return {
      state: { ...ts, params: next.params, state: fwd.state, optState: next.state, step: ts.step + 1 },
      loss: value,
    };
  };

/** What `onStep` is told after every step. */
export interface StepInfo {
  readonly epoch: number;
  readonly stepInEpoch: number;
  readonly stepsPerEpoch: number;
  readonly loss: number;
  readonly examples: number;
}

/** Options of `fit`. */
export interface FitOptions {
  readonly train: Examples;
  readonly test?: Examples;
  /** Train until this many epochs are complete (a resumed state continues from its epoch). */
  readonly epochs: number;
  readonly batchSize: number;
  /** Train accuracy is measured on at most this many training examples (default: all). */
  readonly trainEvalLimit?: number;
  /** Transforms each training batch (data augmentation), given a key of its own. */
  readonly augment?: (key: Key, batch: Dataset) => Dataset;
  /**
   * Divergence guard: stop with a DivergenceError when a step's loss exceeds this. Default: 100 ×
   * the largest loss of the run's first 20 steps (set once they are taken); 0 turns the bound off
   * (a loss or parameter that is not finite always stops training).
   */
  readonly maxLoss?: number;
  /** Held-out examples measured after every epoch (validationAccuracy, validationLoss in the history). */
  readonly validation?: Examples;
  /** Stop once the validation metric has not improved for `patience` epochs (needs `validation`). */
  readonly earlyStopping?: EarlyStopping;
  /** Called after every step. */
  readonly onStep?: (info: StepInfo) => void;
  /** Called after every epoch with the state and history so far (a place to checkpoint). */
  readonly onEpoch?: (state: TrainState, history: History) => void;
}

/** When to stop before the last epoch: the monitored validation metric stopped improving. */
export interface EarlyStopping {
  readonly monitor: 'validationLoss' | 'validationAccuracy';
  /** Epochs without an improvement before stopping. */
  readonly patience: number;
  /** The least change that counts as an improvement (default 0). */
  readonly minDelta?: number;
}

/**
 * The epoch (1-based) whose record is best by `monitor` (lower loss, higher accuracy; the first of
 * equals), or undefined when no epoch has it. An improvement must beat the best by more than minDelta.
 */
export const bestEpoch = (history: History, monitor: EarlyStopping['monitor'], minDelta = 0): number | undefined => {
  let best: EpochRecord | undefined;
  for (const e of history.epochs) {
    const v = e[monitor];
    if (v === undefined) continue;
    const b = best?.[monitor];
    if (b === undefined || (monitor === 'validationLoss' ? v < b - minDelta : v > b + minDelta)) best = e;
  }
  return best?.epoch;
};

/** Whether early stopping ends the run after this history (pure: a resumed run decides the same). */
export const stopsEarly = (history: History, rule: EarlyStopping | undefined): boolean => {
  if (rule === undefined) return false;
  const best = bestEpoch(history, rule.monitor, rule.minDelta);
  const last = history.epochs.at(-1)?.epoch;
  return best !== undefined && last !== undefined && last - best >= rule.patience;
};

/** The end of `fit`: the final state and history. */
export interface FitResult {
  readonly state: TrainState;
  readonly history: History;
}

/** Epoch e's shuffle key: depends only on the run key and e, so a resumed run shuffles the same. */
const shuffleKey = (ts: TrainState, epoch: number): Key => foldIn(foldIn(ts.key, 0), epoch);

/** A run of `fit` taken one step at a time: `advance` trains one step (or closes an epoch). */
interface Run {
  /** Takes one step, closing the epoch after its last; false once every epoch is done. */
  readonly advance: () => boolean;
  /** The state and history so far (mid-epoch: the epoch's losses so far, no record of it yet). */
  readonly current: () => FitResult;
  /** Throws a DivergenceError unless the current state is fit to save (finite, within the bound). */
  readonly checkSavable: () => void;
}

const startRun = (model: Model, optimizer: Optimizer, initial: TrainState, options: FitOptions, history: History): Run => {
  const rule = options.earlyStopping;
  if (rule !== undefined && options.validation === undefined) throw new Error('fit: earlyStopping needs a validation set (options.validation)');
  if (rule !== undefined && !(Number.isInteger(rule.patience) && rule.patience >= 1)) {
    throw new Error(`fit: earlyStopping.patience must be a whole number ≥ 1, got ${rule.patience}`);
  }
  const step = trainStep(model, optimizer);
  const stepsPerEpoch = batchesPerEpoch(options.train, options.batchSize);
  const evalTrain = headOfDataset(options.train, options.trainEvalLimit ?? sizeOfDataset(options.train));
  const probe = sliceDataset(options.train, 0, Math.min(options.batchSize, sizeOfDataset(options.train)));
  let ts = initial;
  let hist = history;
  let losses: number[] = [];
  let batches: Iterator<Dataset> | undefined;
  let started = 0;
  let bound = divergenceBound(hist.loss, options.maxLoss);

  const startEpoch = (): void => {
    const skip = ts.epochStep ?? 0;
    if (skip > stepsPerEpoch) throw new Error(`fit: the state is ${skip} steps into epoch ${ts.epoch + 1}, which has only ${stepsPerEpoch}`);
    // a run stopped mid-epoch: its losses so far are the tail of the history; the skipped batches are drawn and dropped
    // (stopped after its last step, before the epoch closed: every batch is skipped and the epoch closes at once)
    losses = skip > 0 ? hist.loss.slice(Math.max(0, hist.loss.length - skip)) : [];
    hist = { ...hist, loss: hist.loss.slice(0, hist.loss.length - losses.length) };
    batches = epochBatches(options.train, options.batchSize, shuffleKey(ts, ts.epoch));
    for (let i = 0; i < skip; i++) batches.next();
    started = performance.now();
  };

  const checkLoss = (loss: number, at: TrainState): void => {
    if (bound !== undefined && loss > bound) {
      throw new DivergenceError(at.step, at.epoch, `loss ${formatLoss(loss)} exceeds the bound ${formatLoss(bound)}`);
    }
  };

  const checkSavable = (): void => {
    const bad = firstNonFinite(ts.params);
    if (bad !== undefined) throw new DivergenceError(ts.step, ts.epoch, `parameter ${bad} is not finite`);
    // the loss of the state about to be saved, on a fixed batch: no checkpoint from past the bound
    const { value } = model.loss(model.net.forward(ts.params, probe.x, inferenceCtx(key0, ts.state)).y, probe.labels);
    if (!Number.isFinite(value)) throw new DivergenceError(ts.step, ts.epoch, `loss is ${value}`);
    checkLoss(value, ts);
  };

  const closeEpoch = (): void => {
    const trainSeconds = (performance.now() - started) / 1000;
    ts = { ...ts, epoch: ts.epoch + 1, epochStep: 0 };
    checkSavable();
    const v = { params: ts.params, state: ts.state };
    const validation = options.validation === undefined ? undefined : evaluateModel(model, v, options.validation);
    const record: EpochRecord = {
      epoch: ts.epoch,
      meanLoss: losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length),
      trainAccuracy: evaluateAccuracy(model.net, v, evalTrain),
      testAccuracy: options.test ? evaluateAccuracy(model.net, v, options.test) : null,
      seconds: trainSeconds,
      ...(validation === undefined ? {} : { validationAccuracy: validation.accuracy, validationLoss: validation.meanLoss }),
    };
    hist = { loss: [...hist.loss, ...losses], epochs: [...hist.epochs, record] };
    losses = [];
    batches = undefined;
    options.onEpoch?.(ts, hist);
  };

  const advance = (): boolean => {
    if (ts.epoch >= options.epochs || (batches === undefined && stopsEarly(hist, options.earlyStopping))) return false;
    if (batches === undefined) startEpoch();
    const next = (batches as Iterator<Dataset>).next();
    if (next.done === true) { closeEpoch(); return ts.epoch < options.epochs && !stopsEarly(hist, options.earlyStopping); }
    const raw = next.value;
    const batch = options.augment ? options.augment(foldIn(foldIn(ts.key, 2), ts.step), raw) : raw;
    const r = step(ts, batch);
    checkLoss(r.loss, ts);
    ts = { ...r.state, epochStep: losses.length + 1 };
    losses.push(r.loss);
    // the bound follows the first 20 losses of the run, then stays
    if (hist.loss.length + losses.length <= BOUND_STEPS) bound = divergenceBound([...hist.loss, ...losses], options.maxLoss);
    options.onStep?.({ epoch: ts.epoch, stepInEpoch: losses.length, stepsPerEpoch, loss: r.loss, examples: batch.labels.length });
    return true;
  };

  const current = (): FitResult => ({ state: ts, history: { ...hist, loss: [...hist.loss, ...losses] } });
  return { advance, current, checkSavable };
};

const key0: Key = [0, 0];

/** Trains epoch by epoch (a fold over minibatches) and returns the final state and history. */
export const fit = (model: Model, optimizer: Optimizer, initial: TrainState, options: FitOptions, history: History = emptyHistory): FitResult => {
  const run = startRun(model, optimizer, initial, options, history);
  while (run.advance());
  return run.current();
};

/** Options of `fitAsync`: those of `fit`, and a signal that stops training at the next step boundary. */
export interface FitAsyncOptions extends FitOptions {
  readonly signal?: AbortSignal;
}

/** The end of `fitAsync`: as `fit`'s, and whether the signal stopped it before the last epoch. */
export interface FitAsyncResult extends FitResult {
  readonly stopped: boolean;
}

/**
 * Milliseconds of training between turns of the event loop: a turn costs ~50–100 µs, a tenth of a
 * 1 ms step when taken after every one, while a signal waits at most this long plus one step.
 */
const YIELD_MS = 5;

/**
 * `fit` that yields to the event loop between steps (timers, messages and signals run, at least
 * every few milliseconds) and stops cleanly when `signal` aborts: it returns the state at that step
 * boundary, checked fit to save (`stopped: true`), which `fit` with the same options continues bit for bit.
 */
export const fitAsync = async (
  model: Model, optimizer: Optimizer, initial: TrainState, options: FitAsyncOptions, history: History = emptyHistory,
): Promise<FitAsyncResult> => {
  const run = startRun(model, optimizer, initial, options, history);
  let turnAt = performance.now() + YIELD_MS;
  for (;;) {
    if (options.signal?.aborted === true) {
      run.checkSavable();
      return { ...run.current(), stopped: true };
    }
    if (!run.advance()) return { ...run.current(), stopped: false };
    if (performance.now() >= turnAt) {
      await nextTurn();
      turnAt = performance.now() + YIELD_MS;
    }
  }
};
