/**
 * Running a search from code: every unfinished trial on worker threads (the ensemble's pool) or,
 * with `queue`, on `tenfold worker`s through Redis; each trained on the training set minus the
 * held-out examples and scored on them, never on the test set; finished trials are read back from
 * their checkpoints, so the same call resumes.
 */
import { join } from 'node:path';
import { runOnMemberPool, type MemberPoolOptions } from '../ensemble/member-pool.ts';
import type { MemberStopped, TrialDiverged, TrialTrained } from '../ensemble/member-task.ts';
import type { QueueOptions } from '../queue/queue-options.ts';
import { loadQueueModule } from '../queue/optional.ts';
import { key } from '../random.ts';
import { openSearchDirectory } from './directory.ts';
import type { SearchManifest, SearchTrial } from './manifest.ts';
import { bestTrial, finishedTrial, resultFromWorker, type TrialResult } from './outcome.ts';

/** Options of `runSearch`: the pool's (workers, signal, onEvent, workerModules), and each trial's result as it comes. */
export interface SearchOptions extends MemberPoolOptions {
  /** Each trial's result as it finishes (or is found finished). */
  readonly onTrial?: (result: TrialResult) => void;
  /** Train the trials on `tenfold worker`s through this queue instead of on worker threads (`out` must be shared with them, at the same path). */
  readonly queue?: Omit<QueueOptions, 'signal' | 'onEvent'>;
}

/** What `runSearch` gives: every trial's result (in index order) and the best, or which trials stopped. */
export type SearchRun =
  | { readonly stopped: false; readonly trials: readonly TrialResult[]; readonly best: TrialResult | undefined; readonly seconds: number }
  | { readonly stopped: true; readonly trials: readonly MemberStopped[]; readonly finished: readonly TrialResult[]; readonly seconds: number };

/**
 * Trains (or resumes) every trial of `manifest` in the existing directory `out` (see
 * openSearchDirectory for what it refuses), each in `out/trial-N`. Every trial trains from the
 * seed's own key: the same initial weights, shuffles and held-out examples, so trials differ
 * only in their sampled values (and `tenfold train --seed S --validation N` repeats one exactly).
 */
export const runSearch = async (out: string, manifest: SearchManifest, options: SearchOptions = {}): Promise<SearchRun> => {
  openSearchDirectory(out, manifest);
  const started = performance.now();
  const results = new Map<number, TrialResult>();
  const finish = (r: TrialResult): void => { results.set(r.index, r); options.onTrial?.(r); };
  for (const trial of manifest.trials) {
    const r = finishedTrial(out, trial);
    if (r !== undefined) finish(r);
  }
  const pending = manifest.trials.filter((t) => !results.has(t.index));
  const stopped = options.queue === undefined ? await trainOnPool(out, manifest, pending, finish, options)
    : await trainOnQueue(out, manifest, pending, finish, { ...options.queue, signal: options.signal, onEvent: options.onEvent });
  const seconds = (performance.now() - started) / 1000;
  const trials = manifest.trials.map((t) => results.get(t.index)).filter((r): r is TrialResult => r !== undefined);
  if (stopped.length > 0) return { stopped: true, trials: stopped, finished: trials, seconds };
  return { stopped: false, trials, best: bestTrial(trials), seconds };
};

/** Trains `pending` on a fresh pool of worker threads, telling `finish` each result: the trials that stopped. */
const trainOnPool = async (
  out: string, manifest: SearchManifest, pending: readonly SearchTrial[], finish: (r: TrialResult) => void, options: SearchOptions,
): Promise<readonly MemberStopped[]> => {
  if (pending.length === 0) return [];
  const runKey = key(manifest.seed);
  const byIndex = new Map(manifest.trials.map((t) => [t.index, t]));
  const tasks = pending.map((t) => ({ index: t.index, seed: manifest.seed, config: t.config, checkpointDir: join(out, t.dir), tta: 1, runKey, trial: true }));
  const ran = await runOnMemberPool<TrialTrained | TrialDiverged>(tasks, options, (r) => finish(resultFromWorker(byIndex.get(r.index) as SearchTrial, r)));
  return ran.filter((r): r is MemberStopped => 'interrupted' in r);
};

/** Trains `pending` on `tenfold worker`s through the queue, telling `finish` each result: the trials still queued when the signal stopped the wait. */
const trainOnQueue = async (
  out: string, manifest: SearchManifest, pending: readonly SearchTrial[], finish: (r: TrialResult) => void, queue: QueueOptions,
): Promise<readonly MemberStopped[]> => {
  // the queue's client libraries are optional peers: loaded only here
  const { trainTrialsOnQueue } = await loadQueueModule(() => import('./queue-search.ts'));
  const waiting = await trainTrialsOnQueue(out, manifest, pending.map((t) => t.index), finish, queue);
  return waiting.map((index) => ({ index, interrupted: true }));
};
