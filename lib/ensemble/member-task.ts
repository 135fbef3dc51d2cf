/**
 * One ensemble member as a worker-pool task: train or resume it, then predict the test set. A
 * search trial is the same task without the test set (`trial: true`, run by `runTrial`).
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { foldIn, key, type Key } from '../random.ts';
import type { JobConfig } from '../jobs/config.ts';
import { runJob, type JobResult } from '../jobs/job.ts';
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
const trainTask = async (task: MemberTask, measureTest: boolean): Promise<JobResult | undefined> => {
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
