/**
 * The coordinator side of the member queue: enqueue each unfinished member of an ensemble as a
 * BullMQ job, follow the workers' progress, then read every member back from its checkpoint
 * directory and combine them exactly as a local run does.
 */
import { resolve } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { loadDataset } from '../data/datasets.ts';
import { openEnsembleDirectory } from '../ensemble/directory.ts';
import type { EnsembleManifest } from '../ensemble/manifest.ts';
import type { MemberEvent, MemberOutcome, MemberStopped } from '../ensemble/member-task.ts';
import { summariseEnsemble } from '../ensemble/summary.ts';
import type { EnsembleRun } from '../ensemble/train-ensemble.ts';
import { ensembleHash, MEMBER_QUEUE, memberJobId } from './job-id.ts';
import type { MemberJobData, MemberJobResult } from './member-job.ts';
import { memberOutcomeFromCheckpoint } from './outcome.ts';

/** Options of `trainEnsembleOnQueue`. */
export interface QueueEnsembleOptions {
  /** Redis, as `redis://HOST:PORT`. */
  readonly url: string;
  /** The queue (default MEMBER_QUEUE). */
  readonly queueName?: string;
  /** Test-time augmentation views per member (default 1: none). */
  readonly tta?: number;
  /** Stops waiting (the jobs stay queued and workers go on; the same command waits for them again). */
  readonly signal?: AbortSignal;
  /** Each member's epochs, notes and (about once a second) steps, as the workers report them. */
  readonly onEvent?: (event: MemberEvent) => void;
  /** Each member's outcome as it finishes (or is found finished). */
  readonly onMember?: (outcome: MemberOutcome) => void;
}

/** A member's job in the queue. */
export interface EnqueuedMember { readonly index: number; readonly job: Job<MemberJobData, MemberJobResult> }

// finished jobs stay a while for inspection; the coordinator never relies on them (it reads --out)
const JOB_OPTIONS = {
  attempts: 3, backoff: { type: 'fixed', delay: 5_000 },
  removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 },
} as const;

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
    const member = manifest.members[index];
    const jobId = memberJobId(manifest, tta, runId, index);
    const old = await queue.getJob(jobId);
    const state = old === undefined ? undefined : await old.getState();
    if (old !== undefined && (state === 'completed' || state === 'failed')) await old.remove();
    const data: MemberJobData = { version: 1, ensemble, out: runId, seed: manifest.seed, tta, member };
    // an id already in the queue (waiting, active, delayed) makes add return that job unchanged
    enqueued.push({ index, job: await queue.add(`member-${index + 1}`, data, { ...JOB_OPTIONS, jobId }) });
  }
  return enqueued;
};

/**
 * Trains (or resumes) every member of `manifest` in the existing directory `out` through the
 * queue: members already finished there are read, the others enqueued and awaited. Workers
 * (`tenfold worker`) must see `out` at the same path.
 */
export const trainEnsembleOnQueue = async (out: string, manifest: EnsembleManifest, options: QueueEnsembleOptions): Promise<EnsembleRun> => {
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
  if (pending.length > 0) {
    const queue = openMemberQueue(options.url, options.queueName);
    const events = new QueueEvents(options.queueName ?? MEMBER_QUEUE, { connection: { url: options.url } });
    try {
      await events.waitUntilReady();
      const jobs = await enqueueMembers(queue, out, manifest, tta, pending);
      const indexOf = new Map(jobs.map((j) => [j.job.id, j.index]));
      events.on('progress', ({ jobId, data }) => {
        if (indexOf.has(jobId) && typeof data === 'object' && data !== null) options.onEvent?.(data as MemberEvent);
      });
      const all = Promise.all(jobs.map(async ({ index, job }) => {
        let result: MemberJobResult;
        try {
          result = await job.waitUntilFinished(events) as MemberJobResult;
        } catch (err) {
          throw new Error(`member ${index + 1} (job ${job.id ?? '?'}) failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
        const o = memberOutcomeFromCheckpoint(out, manifest, index, tta, result);
        if (o === undefined) {
          throw new Error(`member ${index + 1}'s job finished, but ${resolve(out, manifest.members[index].dir)} holds no finished checkpoint: ` +
            'is --out on a file system the workers share, at the same path?');
        }
        finish(o);
      }));
      const signal = options.signal;
      const aborted = new Promise<'aborted'>((done) => {
        if (signal?.aborted === true) done('aborted');
        signal?.addEventListener('abort', () => done('aborted'), { once: true });
      });
      all.catch(() => { /* raced below; after an abort nobody awaits it */ });
      if (await Promise.race([all.then(() => 'done' as const), aborted]) === 'aborted') {
        const stopped: MemberStopped[] = pending.filter((i) => !outcomes.has(i)).map((index) => ({ index, interrupted: true }));
        return { stopped: true, members: stopped, seconds: (performance.now() - started) / 1000 };
      }
    } finally {
      await events.close();
      await queue.close();
    }
  }
  const ordered = manifest.members.map((m) => outcomes.get(m.index)).filter((o): o is MemberOutcome => o !== undefined);
  const labels = loadDataset(manifest.members[0].config.dataset, false).test.labels;
  return { stopped: false, outcomes: ordered, summary: summariseEnsemble(ordered, labels), seconds: (performance.now() - started) / 1000 };
};
