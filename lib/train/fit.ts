/** Training as a fold over minibatches: pure steps, explicit state, a history of what happened. */
import { trainCtx } from '../layers/layer.ts';
import type { Optimizer, OptState } from '../optim/transform.ts';
import { foldIn, split, type Key } from '../random.ts';
import type { Shape } from '../tensor.ts';
import type { TreeRecord } from '../tree.ts';
import { batchesPerEpoch, epochBatches, headOfDataset, sizeOfDataset, type Dataset, type Examples } from './dataset.ts';
import { evaluateAccuracy, type Model } from './model.ts';

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
}

/** One epoch's record. */
export interface EpochRecord {
  readonly epoch: number;
  readonly meanLoss: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number | null;
  readonly seconds: number;
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

/** Raised when the loss stops being a finite number; training state before the step is kept. */
export class NonFiniteLossError extends Error {
  constructor(readonly step: number, readonly value: number) {
    super(`training diverged: loss is ${value} at step ${step} (lower the learning rate; the last good state is kept)`);
    this.name = 'NonFiniteLossError';
  }
}

/** One pure training step: forward, loss, backward, optimizer update. */
export const trainStep = (model: Model, optimizer: Optimizer) =>
  (ts: TrainState, batch: Dataset): { readonly state: TrainState; readonly loss: number } => {
    // the input images need no gradient: the first layer may skip computing it
    const ctx = { ...trainCtx(foldIn(foldIn(ts.key, 1), ts.step), ts.state), inputGrad: false };
    const fwd = model.net.forward(ts.params, batch.x, ctx);
    const { value, dy } = model.loss(fwd.y, batch.labels);
    if (!Number.isFinite(value)) throw new NonFiniteLossError(ts.step, value);
    const { grads } = model.net.backward(ts.params, fwd.cache, dy);
    const next = optimizer.update(grads, ts.optState, ts.params);
    return {
      state: { ...ts, params: next.params, state: fwd.state, optState: next.state, step: ts.step + 1 },
      loss: value,
    };
  };

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
  /** Called after every step. */
  readonly onStep?: (info: { readonly epoch: number; readonly stepInEpoch: number; readonly stepsPerEpoch: number; readonly loss: number; readonly examples: number }) => void;
  /** Called after every epoch with the state and history so far (a place to checkpoint). */
  readonly onEpoch?: (state: TrainState, history: History) => void;
}

/** Epoch e's shuffle key: depends only on the run key and e, so a resumed run shuffles the same. */
const shuffleKey = (ts: TrainState, epoch: number): Key => foldIn(foldIn(ts.key, 0), epoch);

/** Trains epoch by epoch (a fold over minibatches) and returns the final state and history. */
export const fit = (model: Model, optimizer: Optimizer, initial: TrainState, options: FitOptions, history: History = emptyHistory): { readonly state: TrainState; readonly history: History } => {
  const step = trainStep(model, optimizer);
  let ts = initial;
  let hist = history;
  const stepsPerEpoch = batchesPerEpoch(options.train, options.batchSize);
  const evalTrain = headOfDataset(options.train, options.trainEvalLimit ?? sizeOfDataset(options.train));
  while (ts.epoch < options.epochs) {
    const started = performance.now();
    const losses: number[] = [];
    let i = 0;
    for (const raw of epochBatches(options.train, options.batchSize, shuffleKey(ts, ts.epoch))) {
      const batch = options.augment ? options.augment(foldIn(foldIn(ts.key, 2), ts.step), raw) : raw;
      const r = step(ts, batch);
      ts = r.state;
      losses.push(r.loss);
      options.onStep?.({ epoch: ts.epoch, stepInEpoch: ++i, stepsPerEpoch, loss: r.loss, examples: batch.labels.length });
    }
    const trainSeconds = (performance.now() - started) / 1000;
    ts = { ...ts, epoch: ts.epoch + 1 };
    const v = { params: ts.params, state: ts.state };
    const record: EpochRecord = {
      epoch: ts.epoch,
      meanLoss: losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length),
      trainAccuracy: evaluateAccuracy(model.net, v, evalTrain),
      testAccuracy: options.test ? evaluateAccuracy(model.net, v, options.test) : null,
      seconds: trainSeconds,
    };
    hist = { loss: [...hist.loss, ...losses], epochs: [...hist.epochs, record] };
    options.onEpoch?.(ts, hist);
  }
  return { state: ts, history: hist };
};
