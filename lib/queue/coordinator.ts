/**
 * The coordinator side of the member queue: enqueue each unfinished member of an ensemble as a
 * BullMQ job, follow the workers' progress and the jobs' ends (awaitJobsOnQueue), then read every
 * member back from its checkpoint directory and combine them exactly as a local run does.
 */
import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import * as E from 'fp-ts/lib/Either.js';
import { loadDataset } from '../data/datasets.ts';
import { openEnsembleDirectory } from '../ensemble/directory.ts';
import type { EnsembleManifest } from '../ensemble/manifest.ts';
import type { MemberOutcome, MemberStopped } from '../ensemble/member-task.ts';
import { summariseEnsemble } from '../ensemble/summary.ts';
import type { EnsembleRun } from '../ensemble/train-ensemble.ts';
import { addJobOnce, awaitJobsOnQueue, type Enqueued } from './await-jobs.ts';
import { ensembleHash, MEMBER_QUEUE, memberJobId } from './job-id.ts';
import { decodeMemberJobResult, type MemberJobData, type MemberJobResult } from './member-job.ts';
import { memberOutcomeFromCheckpoint } from './outcome.ts';
import type { QueueOptions } from './queue-options.ts';
import { readEnsembleTrainedOn, type TrainedOn } from './trained-on.ts';

/** Options of `trainEnsembleOnQueue`: the queue's, the TTA views, and each member as it finishes. */
export interface QueueEnsembleOptions extends QueueOptions {
  /** Test-time augmentation views per member (default 1: none). */
  readonly tta?: number;
  /** Each member's outcome as it finishes (or is found finished). */
  readonly onMember?: (outcome: MemberOutcome) => void;
}

/** A run through the queue: a local run's result, plus where each member trained and what to warn about. */
export type QueuedEnsembleRun = EnsembleRun & {
  /** Each member's attempts (from its trained-on.json; none for a member trained elsewhere). */
  readonly trainedOn: ReadonlyMap<number, readonly TrainedOn[]>;
  /** Warnings about the result (members trained on different kernels, a damaged record). */
  readonly warnings: readonly string[];
};

/** A member's job in the queue. */
export type EnqueuedMember = Enqueued<MemberJobData, MemberJobResult>;

/** The member queue at `url` (close it when done). */
export const openMemberQueue = (url: string, queueName: string = MEMBER_QUEUE): Queue<MemberJobData, MemberJobResult> =>
  new Queue<MemberJobData, MemberJobResult>(queueName, { connection: { url } });

/**
 * Adds a job for each of `indices` (default: every member) of the ensemble in `out` (resolved: it
 * is the run id). Idempotent: a member whose job is waiting or running keeps it (same id); one
 * whose job finished (or failed) before gets a new one, which resumes from its checkpoint.
 */
export const enqueueMembers = async (
  queue: Queue<MemberJobData, MemberJobResult>, out: string, manifest: EnsembleManifest, tta: number,
  indices: readonly number[] = manifest.members.map((m) => m.index),
): Promise<readonly EnqueuedMember[]> => {
  const runId = resolve(out);
  const ensemble = ensembleHash(manifest, tta);
  const enqueued: EnqueuedMember[] = [];
  for (const index of indices) {
    const data: MemberJobData = { version: 1, kind: 'member', ensemble, out: runId, seed: manifest.seed, tta, member: manifest.members[index] };
    enqueued.push({ index, job: await addJobOnce(queue, memberJobId(manifest, tta, runId, index), `member-${index + 1}`, data) });
  }
  return enqueued;
};

/**
 * Trains (or resumes) every member of `manifest` in the existing directory `out` through the
 * queue: members already finished there are read, the others enqueued and awaited. Workers
 * (`tenfold worker`) must see `out` at the same path.
 */
export const trainEnsembleOnQueue = async (out: string, manifest: EnsembleManifest, options: QueueEnsembleOptions): Promise<QueuedEnsembleRun> => {
  // a job trains one independent member; a run that yields several (snapshots, SWA) is not a member job
  if (manifest.runs !== undefined) {
    throw new Error(`trainEnsembleOnQueue: this ensemble's members come from runs (method ${(manifest.methods ?? []).join(',')}); ` +
      'the queue takes independent members: train it with trainEnsemble');
  }
  openEnsembleDirectory(out, manifest);
  const started = performance.now();
  const tta = options.tta ?? 1;
  const outcomes = new Map<number, MemberOutcome>();
  const finish = (o: MemberOutcome): void => { outcomes.set(o.index, o); options.onMember?.(o); };
  for (const m of manifest.members) {
    const o = memberOutcomeFromCheckpoint(out, manifest, m.index, tta);
    if (o !== undefined) finish(o);
  }
  const pending = manifest.members.map((m) => m.index).filter((i) => !outcomes.has(i));
  const waiting = await awaitJobsOnQueue<MemberJobData, MemberJobResult>(pending, {
    what: 'members', name: (i) => `member ${i + 1}`,
    enqueue: (queue, indices) => enqueueMembers(queue, out, manifest, tta, indices),
    finished: (i) => memberOutcomeFromCheckpoint(out, manifest, i, tta) !== undefined,
    completed: (index, value) => {
      const decoded = value === undefined ? undefined : decodeMemberJobResult(value);
      if (decoded !== undefined && E.isLeft(decoded)) options.onWarning?.(`member ${index + 1}: ${decoded.left.message} (its figures are read from ${out} all the same)`);
      const o = memberOutcomeFromCheckpoint(out, manifest, index, tta, decoded !== undefined && E.isRight(decoded) ? decoded.right : undefined);
      if (o === undefined) {
        throw new Error(`member ${index + 1}'s job finished, but ${resolve(out, manifest.members[index].dir)} holds no finished checkpoint: ` +
          'is --out on a file system the workers share, at the same path?');
      }
      finish(o);
    },
  }, options);
  const { byMember, warnings } = readEnsembleTrainedOn(out, manifest);
  const seconds = (performance.now() - started) / 1000;
  if (waiting.length > 0) {
    const members: MemberStopped[] = waiting.map((index) => ({ index, interrupted: true }));
    return { stopped: true, members, seconds, trainedOn: byMember, warnings };
  }
  for (const line of warnings) options.onWarning?.(line);
  const ordered = manifest.members.map((m) => outcomes.get(m.index)).filter((o): o is MemberOutcome => o !== undefined);
  const labels = loadDataset(manifest.members[0].config.dataset, false).test.labels;
  return { stopped: false, outcomes: ordered, summary: summariseEnsemble(ordered, labels), seconds, trainedOn: byMember, warnings };
};
