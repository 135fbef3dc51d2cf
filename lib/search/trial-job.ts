/**
 * A search trial as a queue job: what it carries through Redis (decoded on arrival), what its
 * worker returns, its job id, and enqueuing the trials of a search. Trials share the members' queue.
 */
import { resolve } from 'node:path';
import type { Queue } from 'bullmq';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { decodeE } from '../decode.ts';
import { JobConfigC } from '../jobs/config.ts';
import { addJobOnce, type Enqueued } from '../queue/await-jobs.ts';
import { planHash, runHash } from '../queue/job-id.ts';
import { TrainedOnC, type TrainedOn } from '../queue/trained-on.ts';
import type { SearchManifest, SearchTrial } from './manifest.ts';

const TrialJobDataC = t.type({
  version: t.literal(1),
  kind: t.literal('trial'),
  search: t.string,
  out: t.string,
  seed: t.number,
  trial: t.type({ index: t.number, dir: t.string, config: JobConfigC }),
});

/** A trial's job: search.json's entry for it, the seed, and the search directory (absolute, shared). */
export interface TrialJobData {
  readonly version: 1;
  readonly kind: 'trial';
  /** `searchHash` of the plan, for messages and job ids. */
  readonly search: string;
  /** The search's `--out`, as the coordinator resolved it: workers must see the same path. */
  readonly out: string;
  readonly seed: number;
  readonly trial: SearchTrial;
}

/** What a worker returns for a trial; the coordinator reads a trained trial itself from its checkpoint. */
export interface TrialJobResult {
  readonly index: number;
  readonly seconds: number;
  readonly resumed: boolean;
  /** The divergence guard's message, when the trial diverged (an outcome, not a failure). */
  readonly diverged?: string;
  readonly trainedOn?: TrainedOn;
}

const TrialJobResultC = t.intersection([
  t.type({ index: t.number, seconds: t.number, resumed: t.boolean }),
  t.partial({ diverged: t.string, trainedOn: TrainedOnC }),
]);

/** The job's data checked field by field (it comes from Redis, written by any version of tenfold). */
export const decodeTrialJob = (data: unknown): E.Either<Error, TrialJobData> => decodeE(TrialJobDataC, 'trial job')(data);

/** A worker's return value checked field by field. */
export const decodeTrialJobResult = (value: unknown): E.Either<Error, TrialJobResult> => decodeE(TrialJobResultC, 'trial job result')(value);

/**
 * A hash (16 hex digits) of what a search is, whatever its number of trials (trial i is the same
 * trial whatever the count): the seed, the ranges and the configuration every trial shares.
 */
export const searchHash = (manifest: SearchManifest): string => {
  const { lr: _lr, weightDecay: _wd, ...shared } = manifest.trials[0].config;
  return planHash({ format: manifest.format, seed: manifest.seed, space: manifest.space, shared });
};

/** Job id of trial `index`: `tenfold-search-<plan hash>-<run hash>-t<index>`; the run id is the resolved `--out` path. */
export const trialJobId = (manifest: SearchManifest, runId: string, index: number): string =>
  `tenfold-search-${searchHash(manifest)}-${runHash(runId)}-t${index}`;

/**
 * Adds a job for each of `indices` of the search in `out` (resolved: it is the run id).
 * Idempotent as members are: a waiting or running job is kept, a finished one replaced.
 */
export const enqueueTrials = async <R>(
  queue: Queue<TrialJobData, R>, out: string, manifest: SearchManifest, indices: readonly number[] = manifest.trials.map((tr) => tr.index),
): Promise<readonly Enqueued<TrialJobData, R>[]> => {
  const runId = resolve(out);
  const search = searchHash(manifest);
  const enqueued: Enqueued<TrialJobData, R>[] = [];
  for (const index of indices) {
    const data: TrialJobData = { version: 1, kind: 'trial', search, out: runId, seed: manifest.seed, trial: manifest.trials[index] };
    enqueued.push({ index, job: await addJobOnce(queue, trialJobId(manifest, runId, index), `trial-${index + 1}`, data) });
  }
  return enqueued;
};
