/**
 * The coordinator side of the member queue: enqueue each unfinished member of an ensemble as a
 * BullMQ job, follow the workers' progress and the jobs' ends (events, and a poll that outlives a
 * Redis outage), then read every member back from its checkpoint directory and combine them
 * exactly as a local run does.
 */
import { resolve } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import * as E from 'fp-ts/lib/Either.js';
import { loadDataset } from '../data/datasets.ts';
import { openEnsembleDirectory } from '../ensemble/directory.ts';
import type { EnsembleManifest } from '../ensemble/manifest.ts';
import type { MemberEvent, MemberOutcome, MemberStopped } from '../ensemble/member-task.ts';
import { summariseEnsemble } from '../ensemble/summary.ts';
import type { EnsembleRun } from '../ensemble/train-ensemble.ts';
import { ensembleHash, MEMBER_QUEUE, memberJobId } from './job-id.ts';
import { watchJobs, type JobWatch } from './job-watch.ts';
import { decodeMemberJobResult, type MemberJobData, type MemberJobResult } from './member-job.ts';
import { memberOutcomeFromCheckpoint } from './outcome.ts';
import { readEnsembleTrainedOn, type TrainedOn } from './trained-on.ts';

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
  /** Told what may need attention: Redis gone and back, a job lost and added again, members on different kernels. */
  readonly onWarning?: (line: string) => void;
  /** How often each unfinished job's state is read besides its events, ms (default 2000). */
  readonly pollMs?: number;
  /** Stop waiting (with an error) once Redis has not answered for this long, ms (default 600 000). */
  readonly unreachableMs?: number;
}

/** A run through the queue: a local run's result, plus where each member trained and what to warn about. */
export type QueuedEnsembleRun = EnsembleRun & {
  /** Each member's attempts (from its trained-on.json; none for a member trained elsewhere). */
  readonly trainedOn: ReadonlyMap<number, readonly TrainedOn[]>;
  /** Warnings about the result (members trained on different kernels, a damaged record). */
  readonly warnings: readonly string[];
};

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
export const trainEnsembleOnQueue = async (out: string, manifest: EnsembleManifest, options: QueueEnsembleOptions): Promise<QueuedEnsembleRun> => {
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
    // our own clients, so that closing can always cut them (BullMQ's close waits for a Redis that may not come back);
    // they (and any copy BullMQ makes of them) retry every 2 s at most, and stop retrying once we are done
    let closed = false;
    const retryStrategy = (times: number): number | null => (closed ? null : Math.min(times * 100, 2_000));
    const clients = [0, 1].map(() => new Redis(options.url, { maxRetriesPerRequest: null, retryStrategy }));
    const queue = new Queue<MemberJobData, MemberJobResult>(options.queueName ?? MEMBER_QUEUE, { connection: clients[0] });
    const events = new QueueEvents(options.queueName ?? MEMBER_QUEUE, { connection: clients[1] });
    let watch: JobWatch | undefined;
    // an 'error' without a listener would crash the process; until the watch tells them, one warning
    let warned = false;
    const early = (err: Error): void => {
      if (watch !== undefined || warned) return;
      warned = true;
      options.onWarning?.(`Redis at ${options.url}: ${err.message} (retrying)`);
    };
    queue.on('error', early);
    events.on('error', early);
    for (const c of clients) c.on('error', early);
    const signal = options.signal;
    const aborted = new Promise<'aborted'>((done) => {
      if (signal?.aborted === true) done('aborted');
      signal?.addEventListener('abort', () => done('aborted'), { once: true });
    });
    const unreachableMs = options.unreachableMs ?? 600_000;
    try {
      const enqueuing = events.waitUntilReady().then(() => enqueueMembers(queue, out, manifest, tta, pending));
      enqueuing.catch(() => { /* raced below */ });
      const jobs = await Promise.race([enqueuing, aborted, timeout(unreachableMs,
        `could not reach Redis at ${options.url} within ${Math.round(unreachableMs / 1000)} s to queue the members: is it running, and is the URL right?`)]);
      if (jobs === 'aborted') return stoppedRun(out, manifest, pending, started);
      const w = watchJobs(queue, events, jobs.map((j) => j.job.id ?? ''), {
        url: options.url, pollMs: options.pollMs ?? 2_000, unreachableMs, onWarning: options.onWarning,
      });
      watch = w;
      const indexOf = new Map(jobs.map((j) => [j.job.id, j.index]));
      events.on('progress', ({ jobId, data }) => {
        if (indexOf.has(jobId) && typeof data === 'object' && data !== null) options.onEvent?.(data as MemberEvent);
      });
      const all = Promise.all(jobs.map(async ({ index, job }) => {
        const result = await awaitMemberJob(queue, w, job.id ?? '', out, manifest, index, tta, options.onWarning);
        const o = memberOutcomeFromCheckpoint(out, manifest, index, tta, result);
        if (o === undefined) {
          throw new Error(`member ${index + 1}'s job finished, but ${resolve(out, manifest.members[index].dir)} holds no finished checkpoint: ` +
            'is --out on a file system the workers share, at the same path?');
        }
        finish(o);
      }));
      all.catch(() => { /* raced below; after an abort nobody awaits it */ });
      if (await Promise.race([all.then(() => 'done' as const), aborted, w.unreachable]) === 'aborted') {
        return stoppedRun(out, manifest, pending.filter((i) => !outcomes.has(i)), started);
      }
    } finally {
      watch?.close();
      // closing waits for Redis: bounded, then the clients are cut, so a coordinator never hangs on its way out
      await closeWithin([events.close(), queue.close()], 5_000);
      closed = true;
      for (const c of clients) c.disconnect();
    }
  }
  const { byMember, warnings } = readEnsembleTrainedOn(out, manifest);
  for (const line of warnings) options.onWarning?.(line);
  const ordered = manifest.members.map((m) => outcomes.get(m.index)).filter((o): o is MemberOutcome => o !== undefined);
  const labels = loadDataset(manifest.members[0].config.dataset, false).test.labels;
  return {
    stopped: false, outcomes: ordered, summary: summariseEnsemble(ordered, labels), seconds: (performance.now() - started) / 1000,
    trainedOn: byMember, warnings,
  };
};

/**
 * Waits for member `index`'s job `id` to end: its result when it completed (undefined when the
 * result does not decode, or the job vanished after the member finished); throws when it failed.
 * A job gone from Redis (a restart without its append-only file, a removal) is added again.
 */
const awaitMemberJob = async (
  queue: Queue<MemberJobData, MemberJobResult>, watch: JobWatch, id: string, out: string, manifest: EnsembleManifest, index: number, tta: number,
  onWarning: ((line: string) => void) | undefined,
): Promise<MemberJobResult | undefined> => {
  for (;;) {
    const end = await watch.end(id);
    if (end.kind === 'failed') throw new Error(`member ${index + 1} (job ${id}) failed: ${end.reason}`);
    if (end.kind === 'completed') {
      const decoded = decodeMemberJobResult(end.value);
      if (E.isRight(decoded)) return decoded.right;
      onWarning?.(`member ${index + 1}: ${decoded.left.message} (its figures are read from ${out} all the same)`);
      return undefined;
    }
    if (memberOutcomeFromCheckpoint(out, manifest, index, tta) !== undefined) return undefined;
    onWarning?.(`member ${index + 1}: job ${id} is gone from Redis; adding it again (it resumes from its checkpoint)`);
    watch.forget(id);
    await enqueueMembers(queue, out, manifest, tta, [index]);
  }
};

/** The run of a coordinator that stopped waiting: the members still queued. */
const stoppedRun = (out: string, manifest: EnsembleManifest, indices: readonly number[], started: number): QueuedEnsembleRun => {
  const members: MemberStopped[] = indices.map((index) => ({ index, interrupted: true }));
  const { byMember, warnings } = readEnsembleTrainedOn(out, manifest);
  return { stopped: true, members, seconds: (performance.now() - started) / 1000, trainedOn: byMember, warnings };
};

/** A promise that rejects with `message` after `ms` (its timer does not keep the process alive). */
const timeout = (ms: number, message: string): Promise<never> => new Promise((_, reject) => { setTimeout(() => reject(new Error(message)), ms).unref(); });

/** Awaits `closing` for at most `ms` (a close that cannot reach Redis is abandoned; the process may exit). */
const closeWithin = async (closing: readonly Promise<unknown>[], ms: number): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((done) => { timer = setTimeout(done, ms); });
  await Promise.race([Promise.allSettled(closing), late]);
  clearTimeout(timer);
};
