/**
 * One ensemble member as a worker-pool task: train or resume it, then predict the test set. A
 * search trial is the same task without the test set (`trial: true`, run by `runTrial`).
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { foldIn, key, type Key } from '../random.ts';
import type { JobConfig } from '../jobs/config.ts';
import { modelOf, runJob, type JobResult, type JobStorage } from '../jobs/job.ts';
import { loadCheckpoint } from '../train/checkpoint.ts';
import type { Variables } from '../train/model.ts';
import type { MemberSource } from './manifest.ts';
import { memberTestPredictions } from './test-predictions.ts';
import { DivergenceError, type EpochRecord, type History, type StepInfo } from '../train/fit.ts';

/** What the pool sends a worker. */
export interface MemberTask {
  readonly index: number;
  readonly seed: number;
  readonly config: JobConfig;
  readonly checkpointDir: string;
  /** Test-time augmentation views (1: none). */
  readonly tta: number;
  /** MemberEvents go out here; `STOP_MEMBER` comes in when the run is to stop. */
  readonly port: MessagePort;
  /** Modules the worker imports first (URLs or paths): ones that register the datasets the members use. */
  readonly modules?: readonly string[];
  /** The run key (default: the seed with the index folded in, as for ensemble members). */
  readonly runKey?: Key;
  /** A search trial (the worker runs `runTrial`): trained and validated only, the test set never measured. */
  readonly trial?: boolean;
  /** A run that yields members (the worker runs `runProducts`): `index` is the run's, each product a member. */
  readonly products?: readonly ProductTask[];
}

/** A member that a run yields: its index, the directory its finished checkpoint goes to, and what of the run it is. */
export interface ProductTask {
  readonly index: number;
  readonly checkpointDir: string;
  readonly from: MemberSource;
  readonly config: JobConfig;
}

/** What a run's task sends back: the outcome of every member it yields. */
export interface RunOutcome {
  readonly index: number;
  readonly outcomes: readonly MemberOutcome[];
}

/** What a member tells while it trains: each step, each epoch, and notes (a resume that recovered). */
export type MemberEvent =
  | { readonly kind: 'step'; readonly index: number; readonly info: StepInfo }
  | { readonly kind: 'epoch'; readonly index: number; readonly record: EpochRecord }
  | { readonly kind: 'note'; readonly index: number; readonly text: string };

/** The message that stops a member at its next step boundary (it checkpoints there). */
export const STOP_MEMBER = 'stop';

/** A member stopped by a signal: where its checkpoint is (none when it had not started). */
export interface MemberStopped {
  readonly index: number;
  readonly interrupted: true;
  readonly checkpoint?: string;
}

/** What a worker sends back. */
export interface MemberOutcome {
  readonly index: number;
  readonly testAccuracy: number;
  readonly seconds: number;
  readonly resumed: boolean;
  readonly history: History;
  /** Test-set class probabilities, [examples × classes] row-major. */
  readonly probabilities: Float32Array;
  readonly classes: number;
  /** A member a run yields: what of which run it is, and its accuracy on the run's validation split (with --validation). */
  readonly from?: MemberSource;
  readonly validationAccuracy?: number;
}

/** A trial trained (or found trained) without the test set: what `runTrial` sends back. */
export interface TrialTrained {
  readonly index: number;
  readonly seconds: number;
  readonly resumed: boolean;
  readonly history: History;
}

/** A trial that diverged: the divergence guard's message (its last good state stays checkpointed). */
export interface TrialDiverged {
  readonly index: number;
  readonly diverged: string;
  readonly seconds: number;
}

/** Trains (or resumes) the task's job with its events on the task's port; undefined when a stop came before it started. */
const trainTask = async (task: MemberTask, measureTest: boolean, more: Pick<JobStorage, 'snapshotDirs' | 'swaDir' | 'finalDir'> = {}): Promise<JobResult | undefined> => {
  // a stop sent while the task waited in the queue: do not start at all
  if (receiveMessageOnPort(task.port)?.message === STOP_MEMBER) return undefined;
  const controller = new AbortController();
  const onMessage = (m: unknown): void => { if (m === STOP_MEMBER) controller.abort(); };
  task.port.on('message', onMessage);
  const post = (e: MemberEvent): void => task.port.postMessage(e);
  const hooks = {
    onStep: (info: StepInfo) => post({ kind: 'step', index: task.index, info }),
    onEpoch: (_s: unknown, h: History) => post({ kind: 'epoch', index: task.index, record: h.epochs[h.epochs.length - 1] }),
    measureTest,
  };
  const storage = {
    checkpointDir: task.checkpointDir, resume: 'if-present' as const, signal: controller.signal,
    onNote: (text: string) => post({ kind: 'note', index: task.index, text }),
    ...more,
  };
  return runJob(task.config, task.runKey ?? foldIn(key(task.seed), task.index), storage, hooks).finally(() => task.port.off('message', onMessage));
};

/** Where a task stopped: its newest checkpoint, or none when it had not started. */
const stopped = (task: MemberTask, job: JobResult | undefined): MemberStopped =>
  (job?.checkpoint === undefined ? { index: task.index, interrupted: true } : { index: task.index, interrupted: true, checkpoint: job.checkpoint });

/** Trains (or resumes) member `index`; its key is the run seed with the index folded in (unless the task gives one). */
export const runMember = async (task: MemberTask): Promise<MemberOutcome | MemberStopped> => {
  const started = performance.now();
  const job = await trainTask(task, true);
  if (job === undefined || job.interrupted) return stopped(task, job);
  const vars = { params: job.trainState.params, state: job.trainState.state };
  const predictions = memberTestPredictions(job.model.net, vars, task.config.dataset, job.data.test, task.seed, task.index, task.tta);
  return {
    index: task.index, seconds: (performance.now() - started) / 1000, resumed: job.resumed, history: job.history, ...predictions,
  };
};

/** Trains (or resumes) a search trial: no epoch measures the test set and nothing predicts it; a divergence is an outcome, not a failure. */
export const runTrial = async (task: MemberTask): Promise<TrialTrained | TrialDiverged | MemberStopped> => {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  try {
    const job = await trainTask(task, false);
    if (job === undefined || job.interrupted) return stopped(task, job);
    return { index: task.index, seconds: seconds(), resumed: job.resumed, history: job.history };
  } catch (err) {
    if (err instanceof DivergenceError) return { index: task.index, diverged: err.message, seconds: seconds() };
    throw err;
  }
};

/**
 * Trains (or resumes) a run that yields members (snapshots at its cycle ends, its final model, its
 * SWA model), then predicts the test set with each, as `runMember` does for an independent member
 * (member index for the test-time augmentation views). Snapshots are read back from their checkpoints.
 */
export const runProducts = async (task: MemberTask): Promise<RunOutcome | MemberStopped> => {
  const started = performance.now();
  const products = task.products ?? [];
  const snapshots = products.filter((p) => p.from.kind === 'snapshot')
    .sort((a, b) => (a.from.kind === 'snapshot' && b.from.kind === 'snapshot' ? a.from.cycle - b.from.cycle : 0));
  const swa = products.find((p) => p.from.kind === 'swa');
  const final = products.find((p) => p.from.kind === 'final');
  const job = await trainTask(task, true, {
    ...(snapshots.length > 0 ? { snapshotDirs: snapshots.map((p) => p.checkpointDir) } : {}),
    ...(swa === undefined ? {} : { swaDir: swa.checkpointDir }),
    ...(final === undefined ? {} : { finalDir: final.checkpointDir }),
  });
  if (job === undefined || job.interrupted) return stopped(task, job);
  const seconds = (performance.now() - started) / 1000;
  const outcomes = products.map((p): MemberOutcome => {
    const { vars, history, validationAccuracy } = productOf(p, job);
    // a snapshot's network is the run's (only its schedule's length differs)
    const net = p.from.kind === 'snapshot' ? modelOf(p.config, job.data.classes).net : job.model.net;
    const predictions = memberTestPredictions(net, vars, p.config.dataset, job.data.test, task.seed, p.index, task.tta);
    return {
      index: p.index, seconds, resumed: job.resumed, history, ...predictions, from: p.from,
      ...(validationAccuracy === undefined ? {} : { validationAccuracy }),
    };
  });
  return { index: task.index, outcomes };
};

/** A product's variables, history and validation accuracy, from the finished job or its checkpoint. */
const productOf = (p: ProductTask, job: JobResult): { readonly vars: Variables; readonly history: History; readonly validationAccuracy?: number } => {
  if (p.from.kind === 'swa') {
    if (job.swa === undefined) throw new Error(`${p.checkpointDir}: the run gave no SWA model (is swa in its configuration?)`);
    return { vars: job.swa, history: job.history, validationAccuracy: job.swa.validationAccuracy };
  }
  if (p.from.kind === 'final') return { vars: job.trainState, history: job.history, validationAccuracy: job.history.epochs.at(-1)?.validationAccuracy };
  const c = loadCheckpoint(p.checkpointDir, { expect: { params: job.trainState.params, state: job.trainState.state } });
  if (c.epoch !== p.config.epochs) throw new Error(`${p.checkpointDir}: the snapshot of cycle ${p.from.cycle} is at epoch ${c.epoch}, not ${p.config.epochs}`);
  return { vars: { params: c.params, state: c.state }, history: c.history, validationAccuracy: c.history.epochs.at(-1)?.validationAccuracy };
};
