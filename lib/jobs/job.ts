/**
 * One training job from a plain configuration: the model, data, optimizer, schedule and
 * augmentation by name, with checkpoints after every epoch and resume. Both `train` and each
 * ensemble member run through here.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { augmentationFor } from '../augment/presets.ts';
import { loadDataset, type TrainTest } from '../data/datasets.ts';
import { initializers } from '../layers/init.ts';
import { smoothedSoftmaxCrossEntropy } from '../losses.ts';
import { models } from '../models/registry.ts';
import { optimizerByName } from '../optim/optimizers.ts';
import { scheduleByName } from '../optim/schedule-names.ts';
import { foldIn, type Key } from '../random.ts';
import { checkpointFiles, checkpointOf, findResumable, saveCheckpoint, trainStateOf, type Json } from '../train/checkpoint.ts';
import { innerOptState, isSwaOptState, recomputeBatchNormStats, swaAverage, withSwa } from '../train/swa.ts';
import { batchesPerEpoch, type Examples } from '../data/dataset.ts';
import { splitValidation } from '../data/split.ts';
import { bestEpoch, DivergenceError, emptyHistory, fitAsync, initTrainState, type FitOptions, type History, type TrainState } from '../train/fit.ts';
import { evaluateModel, type Model, type Variables } from '../train/model.ts';
import type { JobConfig } from './config.ts';

/** Everything that defines a training run (derived from its codec in config.ts). */
export type { JobConfig } from './config.ts';

/** Where a job keeps its checkpoints, whether it may continue from them, and what stops it. */
export interface JobStorage {
  readonly checkpointDir?: string;
  /**
   * true: continue from the checkpoint in `checkpointDir` (refused when there is none);
   * 'if-present': continue when there is one, else start (ensemble members); false (default):
   * start, refused when the directory already holds checkpoints.
   */
  readonly resume?: boolean | 'if-present';
  /** Stops training at the next step boundary; with a checkpointDir the state there is saved. */
  readonly signal?: AbortSignal;
  /** Told what the job found or did that a user should know (a resume recovered without latest.json). */
  readonly onNote?: (message: string) => void;
  /** Also keep the checkpoint of the best epoch by the validation metric in `checkpointDir/best` (needs validation). */
  readonly keepBest?: boolean;
  /**
   * Snapshot ensembles: the end of warm-restart cycle k is saved, as a finished run of k cycles
   * (epochs k·epochs/cycles, cycles k), to snapshotDirs[k − 1], before the run's own checkpoint
   * of that epoch (so a resumed run never misses one). Needs one directory per cycle.
   */
  readonly snapshotDirs?: readonly string[];
  /** With `config.swa`: the SWA model (averaged parameters, recomputed batch-norm statistics) is saved here at the end. */
  readonly swaDir?: string;
  /** The finished state is also saved here at the end, as a run without `swa` (a member that is a run's final model). */
  readonly finalDir?: string;
}

/** What a finished (or stopped) job gives. */
export interface JobResult {
  readonly model: Model;
  readonly data: TrainTest;
  /** Parameters, layer state, optimizer state, key and step where training ended. */
  readonly trainState: TrainState;
  readonly history: History;
  /** Whether training continued from (or was entirely loaded from) a checkpoint. */
  readonly resumed: boolean;
  /** Whether the signal stopped it before its last epoch (its state is then in `checkpoint`). */
  readonly interrupted: boolean;
  /** The manifest of the newest checkpoint this job saved or resumed from, if any. */
  readonly checkpoint?: string;
  /** With keepBest: the manifest of the best epoch's checkpoint (in DIR/best) that this run saved. */
  readonly best?: string;
  /** With `config.swa` (a finished run): the SWA model, how many parameter sets it averages, and its validation figures. */
  readonly swa?: SwaModel;
}

/** A run's stochastic-weight-averaged model. */
export interface SwaModel extends Variables {
  /** Parameter sets averaged (epoch or cycle ends). */
  readonly averaged: number;
  readonly validationAccuracy?: number;
  readonly validationLoss?: number;
  /** The manifest it was saved to (storage.swaDir), if any. */
  readonly checkpoint?: string;
}

/** Where keep-best checkpoints go, inside the checkpoint directory. */
export const BEST_DIR = 'best';

// the validation split's key: the run key with this folded in (another domain than init's split)
const VALIDATION_FOLD = 0x76616c;
// the key of the SWA model's batch-norm pass (dropout masks)
const SWA_FOLD = 0x737761;

/** Cycles of a warm-restarts run (config.cycles, default 4 as the schedule's). */
export const cyclesOf = (config: Pick<JobConfig, 'cycles'>): number => config.cycles ?? 4;

/**
 * The default first epoch of the SWA window: the last 25% of the epochs, and at least the last
 * two (an average of one epoch end is the final model); with warm-restarts, epoch 1 (every cycle
 * end is averaged: the snapshots' weights).
 */
export const defaultSwaStart = (config: Pick<JobConfig, 'epochs' | 'schedule'>): number =>
  config.schedule === 'warm-restarts' ? 1 : Math.max(1, config.epochs - Math.max(2, Math.ceil(config.epochs / 4)) + 1);

/** The configuration of cycle k's snapshot: a finished warm-restarts run of k cycles (the same schedule, step for step). */
export const snapshotConfig = (config: JobConfig, k: number): JobConfig => {
  const { swa: _swa, ...rest } = config;
  return { ...rest, epochs: k * (config.epochs / cyclesOf(config)), cycles: k };
};

/** A problem with a job's configuration or its checkpoint directory, found before training. */
export class JobSetupError extends Error {
  constructor(message: string) { super(message); this.name = 'JobSetupError'; }
}

/** The model a configuration describes. */
export const modelOf = (config: Pick<JobConfig, 'model' | 'hidden' | 'init' | 'labelSmoothing'>, classes: number): Model => ({
  net: models[config.model].build({ hidden: config.hidden, classes, init: config.init ? initializers[config.init] : undefined }),
  loss: smoothedSoftmaxCrossEntropy(config.labelSmoothing ?? 0),
});

/** The configuration as checkpoint metadata, so a resume can refuse a different run. */
const metadataOf = (config: JobConfig): Record<string, Json> => JSON.parse(JSON.stringify(config)) as Record<string, Json>;

const sameRun = (saved: Readonly<Record<string, Json>>, config: JobConfig): string | undefined => {
  const want = metadataOf(config);
  // a schedule is sized to the run, so its length matters unless the rate is constant
  const keys = ['model', 'hidden', 'init', 'optimizer', 'lr', 'schedule', 'batchSize', 'weightDecay', 'dataset', 'augment', 'validation', 'earlyStopping', 'labelSmoothing',
    'cycles', 'swa', ...(config.schedule === 'constant' ? [] : ['epochs'])];
  for (const k of keys) {
    if (JSON.stringify(saved[k]) !== JSON.stringify(want[k])) return `${k} is ${JSON.stringify(saved[k])} in the checkpoint but ${JSON.stringify(want[k])} now`;
  }
  return undefined;
};

/** Why a configuration cannot train on its data (flags named as on the command line), if it cannot. */
export const configProblem = (config: JobConfig, data: TrainTest): string | undefined => {
  const n = data.train.labels.length;
  if (config.batchSize > n) return `--batch-size ${config.batchSize} is larger than the training set (${n} examples of ${data.name})`;
  if (config.maxLoss !== undefined && !(config.maxLoss >= 0)) return `--max-loss must be a number ≥ 0, got ${config.maxLoss}`;
  if (config.validation !== undefined && !(Number.isInteger(config.validation) && config.validation >= 1 && config.validation < n)) {
    return `--validation ${config.validation} must hold out 1 to ${n - 1} of the ${n} training examples of ${data.name}`;
  }
  if (config.validation !== undefined && config.batchSize > n - config.validation) {
    return `--batch-size ${config.batchSize} is larger than the ${n - config.validation} training examples left after --validation ${config.validation}`;
  }
  if (config.earlyStopping !== undefined && config.validation === undefined) return '--early-stopping needs --validation N (the examples it watches)';
  if (config.cycles !== undefined && !(Number.isInteger(config.cycles) && config.cycles >= 1)) return `--cycles must be a whole number ≥ 1, got ${config.cycles}`;
  if (config.cycles !== undefined && config.schedule !== 'warm-restarts') return `--cycles ${config.cycles} needs --schedule warm-restarts (it is ${config.schedule})`;
  if (config.swa !== undefined && !(Number.isInteger(config.swa.start) && config.swa.start >= 1 && config.swa.start <= config.epochs)) {
    return `--swa-start ${config.swa.start} must be an epoch from 1 to --epochs ${config.epochs}`;
  }
  return undefined;
};

/**
 * Why `storage` cannot be used as asked, naming the directory and the flag to use instead, if it
 * cannot: a fresh run over existing checkpoints, or a resume with nothing to resume.
 */
export const storageProblem = (storage: JobStorage): string | undefined => {
  const dir = storage.checkpointDir;
  if (dir === undefined) return undefined;
  const files = checkpointFiles(dir);
  if (storage.resume === true && files.length === 0) return `--out ${dir} holds no checkpoint to resume (drop --resume to start a new run there)`;
  if (storage.resume !== true && storage.resume !== 'if-present' && files.length > 0) {
    return `--out ${dir} already holds checkpoints (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''}): pass --resume to continue that run, or choose another --out`;
  }
  return undefined;
};

/** The state to start from: fresh, or the checkpoint in the storage (checked to be this run). */
const startingPoint = (config: JobConfig, fresh: TrainState, storage: JobStorage): {
  readonly state: TrainState; readonly history: History; readonly checkpoint?: string;
} => {
  const dir = storage.checkpointDir;
  const problem = storageProblem(storage);
  if (problem !== undefined) throw new JobSetupError(problem);
  if (dir === undefined || storage.resume === undefined || storage.resume === false) return { state: fresh, history: emptyHistory };
  const found = findResumable(dir, { expect: { params: fresh.params, state: fresh.state, optState: fresh.optState } });
  if (found === undefined) return { state: fresh, history: emptyHistory };
  const c = found.checkpoint;
  if (found.recoveredBecause !== undefined) storage.onNote?.(`resuming from ${found.manifest}, the newest checkpoint that verifies (${found.recoveredBecause})`);
  const mismatch = sameRun(c.metadata, config)
    ?? (c.key[0] !== fresh.key[0] || c.key[1] !== fresh.key[1] ? 'the checkpoint was trained from another seed (--seed)' : undefined);
  if (mismatch !== undefined) throw new JobSetupError(`${dir}: cannot resume a different run: ${mismatch}`);
  return { state: trainStateOf(c), history: c.history, checkpoint: found.manifest };
};

/**
 * Runs (or resumes) a job; `hooks` receive fit's progress callbacks (`measureTest: false`: no
 * epoch measures the test set, as for a search trial). Training yields to the event
 * loop between steps, so a signal can stop it; it diverging throws an error naming the checkpoint
 * that holds the last good state.
 */
export const runJob = async (
  config: JobConfig, runKey: Key, storage: JobStorage = {},
  hooks: Pick<FitOptions, 'onStep' | 'onEpoch'> & { readonly measureTest?: boolean } = {},
): Promise<JobResult> => {
  const entry = models[config.model];
  const data = loadDataset(config.dataset, entry.flatInput);
  const problem = configProblem(config, data);
  if (problem !== undefined) throw new JobSetupError(problem);
  const model = modelOf(config, data.classes);
  const split = config.validation === undefined ? undefined : splitValidation(data.train, config.validation, foldIn(runKey, VALIDATION_FOLD));
  const train = split?.train ?? data.train;
  const stepsPerEpoch = batchesPerEpoch(train, config.batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;
  const schedule = scheduleByName(config.schedule, config.lr, totalSteps, stepsPerEpoch, cyclesOf(config));
  const plain = optimizerByName(config.optimizer, schedule, config.weightDecay);
  const optimizer = config.swa === undefined ? plain : withSwa(plain, swaPoints(config, stepsPerEpoch));
  const snapshot = snapshotSaver(config, storage.snapshotDirs);
  const fresh = initTrainState(model, optimizer, runKey, data.inputShape);
  const start = startingPoint(config, fresh, storage);
  const dir = storage.checkpointDir;
  let saved = start.checkpoint;
  let best: string | undefined;
  const save = (s: TrainState, h: History): void => {
    if (dir === undefined) return;
    saved = saveCheckpoint(dir, checkpointOf(s, h, metadataOf(config)));
    // keep-best: the epoch that the validation metric ranks first also goes to DIR/best
    if (storage.keepBest === true && (s.epochStep ?? 0) === 0 && bestEpoch(h, config.earlyStopping?.monitor ?? 'validationLoss') === s.epoch) {
      best = saveCheckpoint(join(dir, BEST_DIR), checkpointOf(s, h, metadataOf(config)), { keep: 1 });
    }
  };
  const augment = augmentationFor(config.dataset, config.augment);
  let result;
  try {
    result = await fitAsync(model, optimizer, start.state, {
      train, test: hooks.measureTest === false ? undefined : data.test, validation: split?.validation, earlyStopping: config.earlyStopping, epochs: config.epochs, batchSize: config.batchSize,
      trainEvalLimit: config.trainEvalLimit, augment, maxLoss: config.maxLoss, signal: storage.signal, onStep: hooks.onStep,
      onEpoch: (s, h) => { snapshot(s, h); save(s, h); hooks.onEpoch?.(s, h); },
    }, start.history);
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err;
    const where = saved !== undefined ? `the last good state is in ${saved}`
      : dir !== undefined ? `no checkpoint holds a good state (it diverged before the first save to ${dir})` : 'nothing was saved (no --out)';
    throw new DivergenceError(err.step, err.epoch, err.reason, where);
  }
  if (result.stopped) save(result.state, result.history);
  if (!result.stopped && storage.finalDir !== undefined) {
    const { swa: _swa, ...plainConfig } = config;
    mkdirSync(storage.finalDir, { recursive: true });
    saveCheckpoint(storage.finalDir, checkpointOf(plainStateOf(result.state), result.history, metadataOf(plainConfig)), { keep: 1 });
  }
  const swa = result.stopped || config.swa === undefined ? undefined
    : swaModelOf(config, model, result.state, result.history, { train, validation: split?.validation }, foldIn(runKey, SWA_FOLD), storage.swaDir);
  return {
    model, data, trainState: result.state, history: result.history, resumed: start.checkpoint !== undefined,
    interrupted: result.stopped, checkpoint: saved, best, ...(swa === undefined ? {} : { swa }),
  };
};

/** The step counts SWA averages: epoch ends from epoch `swa.start` on, or with warm-restarts the cycle ends there. */
const swaPoints = (config: JobConfig, stepsPerEpoch: number): { readonly startStep: number; readonly everySteps: number } => {
  const start = config.swa?.start ?? defaultSwaStart(config);
  const cycleSteps = Math.max(1, Math.ceil((stepsPerEpoch * config.epochs) / cyclesOf(config)));
  return { startStep: (start - 1) * stepsPerEpoch + 1, everySteps: config.schedule === 'warm-restarts' ? cycleSteps : stepsPerEpoch };
};

/** What saves each cycle end's snapshot (nothing without snapshotDirs); refuses a run whose cycles do not end at epoch ends. */
const snapshotSaver = (config: JobConfig, dirs: readonly string[] | undefined): ((s: TrainState, h: History) => void) => {
  if (dirs === undefined) return () => {};
  const cycles = cyclesOf(config);
  if (config.schedule !== 'warm-restarts') throw new JobSetupError(`snapshots need --schedule warm-restarts (it is ${config.schedule})`);
  if (config.epochs % cycles !== 0) throw new JobSetupError(`snapshots: --epochs ${config.epochs} must be a multiple of the ${cycles} cycles, so that each cycle ends at an epoch's end`);
  if (dirs.length !== cycles) throw new JobSetupError(`snapshots: ${dirs.length} directories for ${cycles} cycles`);
  if (config.earlyStopping !== undefined) throw new JobSetupError('snapshots: --early-stopping would cut cycles short; drop it');
  const per = config.epochs / cycles;
  return (s, h) => {
    if ((s.epochStep ?? 0) !== 0 || s.epoch % per !== 0) return;
    const k = s.epoch / per;
    // the plain optimizer's state: the snapshot is exactly a k-cycle run's final checkpoint
    const plain = plainStateOf(s);
    mkdirSync(dirs[k - 1], { recursive: true });
    saveCheckpoint(dirs[k - 1], checkpointOf(plain, h, metadataOf(snapshotConfig(config, k))), { keep: 1 });
  };
};

/** The state without the SWA sum in its optimizer state: a plain run's state at the same step. */
const plainStateOf = (s: TrainState): TrainState => ({ ...s, optState: isSwaOptState(s.optState) ? innerOptState(s.optState) : s.optState });

/** The SWA model at the end of a run: the average in the optimizer state, batch-norm statistics recomputed on the training split. */
const swaModelOf = (
  config: JobConfig, model: Model, ts: TrainState, history: History, data: { readonly train: Examples; readonly validation?: Examples }, bnKey: Key, dir: string | undefined,
): SwaModel => {
  const avg = isSwaOptState(ts.optState) ? swaAverage(ts.optState, ts.params) : undefined;
  if (avg === undefined) {
    throw new JobSetupError(`--swa-start ${config.swa?.start}: no epoch end in the SWA window was reached (the run ended at epoch ${ts.epoch})`);
  }
  const state = recomputeBatchNormStats(model.net, avg.params, ts.state, data.train, config.batchSize, bnKey);
  const v = data.validation === undefined ? undefined : evaluateModel(model, { params: avg.params, state }, data.validation);
  if (dir !== undefined) mkdirSync(dir, { recursive: true });
  const checkpoint = dir === undefined ? undefined
    : saveCheckpoint(dir, checkpointOf({ ...ts, params: avg.params, state, optState: {} }, history, metadataOf(config)), { keep: 1 });
  return {
    params: avg.params, state, averaged: avg.count,
    ...(v === undefined ? {} : { validationAccuracy: v.accuracy, validationLoss: v.meanLoss }),
    ...(checkpoint === undefined ? {} : { checkpoint }),
  };
};
