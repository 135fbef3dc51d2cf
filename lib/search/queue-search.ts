/**
 * A search's trials through the queue (`tenfold search --queue`): each unfinished trial enqueued
 * as a job for `tenfold worker`s, awaited as members are, then read back from its checkpoint
 * directory (a trial never predicts the test set, so there is nothing else to compute).
 */
import { resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { awaitJobsOnQueue } from '../queue/await-jobs.ts';
import type { QueueOptions } from '../queue/queue-options.ts';
import { readTrainedOnAll } from '../queue/trained-on.ts';
import type { SearchManifest } from './manifest.ts';
import { finishedTrial, resultFromWorker, type TrialResult } from './outcome.ts';
import { decodeTrialJobResult, enqueueTrials, type TrialJobData, type TrialJobResult } from './trial-job.ts';

/**
 * Trains the trials `pending` (indices) of the search in `out` (opened already) on the queue,
 * telling `finish` each one's result; gives the trials still queued when `options.signal` aborted
 * (none otherwise). Workers must see `out` at the same path.
 */
export const trainTrialsOnQueue = async (
  out: string, manifest: SearchManifest, pending: readonly number[], finish: (r: TrialResult) => void, options: QueueOptions,
): Promise<readonly number[]> => {
  const waiting = await awaitJobsOnQueue<TrialJobData, TrialJobResult>(pending, {
    what: 'trials', name: (i) => `trial ${i + 1}`,
    enqueue: (queue, indices) => enqueueTrials(queue, out, manifest, indices),
    finished: (i) => finishedTrial(out, manifest.trials[i]) !== undefined,
    completed: (index, value) => {
      const trial = manifest.trials[index];
      const decoded = value === undefined ? undefined : decodeTrialJobResult(value);
      if (decoded !== undefined && E.isLeft(decoded)) options.onWarning?.(`trial ${index + 1}: ${decoded.left.message} (its figures are read from ${out} all the same)`);
      const result = decoded !== undefined && E.isRight(decoded) ? decoded.right : undefined;
      // a diverged trial has no finished checkpoint: the worker's message is its result, as on the local pool
      if (result?.diverged !== undefined) { finish(resultFromWorker(trial, { index, diverged: result.diverged, seconds: result.seconds })); return; }
      const r = finishedTrial(out, trial);
      if (r === undefined) {
        throw new Error(`trial ${index + 1}'s job finished, but ${resolve(out, trial.dir)} holds no finished checkpoint: ` +
          'is --out on a file system the workers share, at the same path?');
      }
      finish({ ...r, resumed: result?.resumed ?? true });
    },
  }, options);
  if (waiting.length === 0) for (const line of readTrainedOnAll(out, manifest.trials, 'trial').warnings) options.onWarning?.(line);
  return waiting;
};
