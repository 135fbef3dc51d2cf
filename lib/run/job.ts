/**
 * One training job from a plain configuration: the model, data, optimizer, schedule and
 * augmentation by name, with checkpoints after every epoch and resume. Both `train` and each
 * ensemble member run through here.
 */
import { augmentationFor, type AugmentName } from '../augment/presets.ts';
import { loadDataset, type DatasetName, type TrainTest } from '../data/datasets.ts';
import { initializers } from '../init.ts';
import { softmaxCrossEntropy } from '../losses.ts';
import { models, type InitName, type ModelName } from '../models/registry.ts';
import { optimizerByName, type OptimizerName } from '../optim/optimizers.ts';
import { scheduleByName, type ScheduleName } from '../optim/schedule-names.ts';
import type { Key } from '../random.ts';
import { checkpointOf, hasCheckpoint, loadCheckpoint, saveCheckpoint, trainStateOf, type Json } from '../train/checkpoint.ts';
import { batchesPerEpoch } from '../train/dataset.ts';
import { emptyHistory, fit, initTrainState, type FitOptions, type History, type TrainState } from '../train/fit.ts';
import type { Model } from '../train/model.ts';

/** Everything that defines a training run. */
export interface JobConfig {
  readonly model: ModelName;
  readonly hidden: readonly number[];
  readonly init?: InitName;
  readonly optimizer: OptimizerName;
  readonly lr: number;
  readonly schedule: ScheduleName;
  readonly batchSize: number;
  readonly epochs: number;
  readonly weightDecay: number;
  readonly dataset: DatasetName;
  readonly augment: readonly AugmentName[];
  /** Train accuracy per epoch on at most this many examples (default: all). */
  readonly trainEvalLimit?: number;
}

/** Where a job keeps its checkpoints and whether it may continue from them. */
export interface JobStorage {
  readonly checkpointDir?: string;
  readonly resume?: boolean;
}

/** What a finished job gives. */
export interface JobResult {
  readonly model: Model;
  readonly data: TrainTest;
  readonly state: TrainState;
  readonly history: History;
  /** Whether training continued from (or was entirely loaded from) a checkpoint. */
  readonly resumed: boolean;
}

/** The model a configuration describes. */
export const modelOf = (config: Pick<JobConfig, 'model' | 'hidden' | 'init'>, classes: number): Model => ({
  net: models[config.model].build({ hidden: config.hidden, classes, init: config.init ? initializers[config.init] : undefined }),
  loss: softmaxCrossEntropy,
});

/** The configuration as checkpoint metadata, so a resume can refuse a different run. */
const metadataOf = (config: JobConfig): Record<string, Json> => JSON.parse(JSON.stringify(config)) as Record<string, Json>;

const sameRun = (saved: Readonly<Record<string, Json>>, config: JobConfig): string | undefined => {
  const want = metadataOf(config);
  // a schedule is sized to the run, so its length matters unless the rate is constant
  const keys = ['model', 'hidden', 'init', 'optimizer', 'lr', 'schedule', 'batchSize', 'weightDecay', 'dataset', 'augment',
    ...(config.schedule === 'constant' ? [] : ['epochs'])];
  for (const k of keys) {
    if (JSON.stringify(saved[k]) !== JSON.stringify(want[k])) return `${k} is ${JSON.stringify(saved[k])} in the checkpoint but ${JSON.stringify(want[k])} now`;
  }
  return undefined;
};

/** Runs (or resumes) a job; `hooks` receive fit's progress callbacks. */
export const runJob = (
  config: JobConfig, runKey: Key, storage: JobStorage = {},
  hooks: Pick<FitOptions, 'onStep' | 'onEpoch'> = {},
): JobResult => {
  const entry = models[config.model];
  const data = loadDataset(config.dataset, entry.flatInput);
  const model = modelOf(config, data.classes);
  const stepsPerEpoch = batchesPerEpoch(data.train, config.batchSize);
  const schedule = scheduleByName(config.schedule, config.lr, stepsPerEpoch * config.epochs, stepsPerEpoch);
  const optimizer = optimizerByName(config.optimizer, schedule, config.weightDecay);
  const fresh = initTrainState(model, optimizer, runKey, data.inputShape);
  let initial = fresh;
  let history = emptyHistory;
  let resumed = false;
  const dir = storage.checkpointDir;
  if (dir !== undefined && storage.resume !== true && hasCheckpoint(dir)) {
    throw new Error(`${dir} already holds a checkpoint: pass --resume to continue it, or choose another directory`);
  }
  if (dir !== undefined && storage.resume === true && hasCheckpoint(dir)) {
    const c = loadCheckpoint(dir, { expect: { params: fresh.params, state: fresh.state, optState: fresh.optState } });
    const mismatch = sameRun(c.metadata, config);
    if (mismatch !== undefined) throw new Error(`${dir}: cannot resume a different run: ${mismatch}`);
    initial = trainStateOf(c);
    history = c.history;
    resumed = true;
  }
  const augment = augmentationFor(config.dataset, config.augment, entry.flatInput ? [1, 28, 28] : undefined);
  const result = fit(model, optimizer, initial, {
    train: data.train, test: data.test, epochs: config.epochs, batchSize: config.batchSize,
    trainEvalLimit: config.trainEvalLimit, augment, onStep: hooks.onStep,
    onEpoch: (s, h) => {
      if (dir !== undefined) saveCheckpoint(dir, checkpointOf(s, h, metadataOf(config)));
      hooks.onEpoch?.(s, h);
    },
  }, history);
  return { model, data, state: result.state, history: result.history, resumed };
};
