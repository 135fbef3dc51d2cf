/**
 * A coordinator's session on the queue, for any kind of job: its own Redis clients, the jobs
 * enqueued (bounded by how long Redis may stay away), their progress passed on, and each job's end
 * awaited (events and a poll) until every one is handled, the signal aborts, or Redis stays away.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { MemberEvent } from '../ensemble/member-task.ts';
import { MEMBER_QUEUE } from './job-id.ts';
import { watchJobs, type JobWatch } from './job-watch.ts';
import type { QueueOptions } from './queue-options.ts';

/** A job in the queue, for entry `index` of its plan (a member, a trial). */
export interface Enqueued<D = unknown, R = unknown> { readonly index: number; readonly job: Job<D, R> }

/** What a session needs of one kind of job. */
export interface QueuedWork<D, R> {
  /** What the jobs are, for messages: "members", "trials". */
  readonly what: string;
  /** One entry's name, for messages: "member 2". */
  readonly name: (index: number) => string;
  /** Adds (or finds, idempotently) the jobs of `indices`. */
  readonly enqueue: (queue: Queue<D, R>, indices: readonly number[]) => Promise<readonly Enqueued<D, R>[]>;
  /** Whether entry `index` is finished in --out (a job gone from Redis is then not added again). */
  readonly finished: (index: number) => boolean;
  /** Entry `index`'s job completed with `value` (undefined: it vanished after the entry finished); reads the entry from --out, throws if it cannot. */
  readonly completed: (index: number, value: unknown) => void;
}

/** Every job's options: 3 attempts 5 s apart; finished jobs stay a week for inspection (the coordinator reads --out, never them). */
export const JOB_OPTIONS = {
  attempts: 3, backoff: { type: 'fixed', delay: 5_000 },
  removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/**
 * Adds job `jobId` (named `name`, carrying `data`), replacing one that completed or failed before:
 * an id already waiting or running makes BullMQ's add return that job unchanged.
 */
export const addJobOnce = async <D, R>(queue: Queue<D, R>, jobId: string, name: string, data: D): Promise<Job<D, R>> => {
  const old = await queue.getJob(jobId);
  const state = old === undefined ? undefined : await old.getState();
  if (old !== undefined && (state === 'completed' || state === 'failed')) await old.remove();
  // BullMQ's add types its arguments and job through conditional types that a generic D cannot resolve
  return await queue.add(name as never, data as never, { ...JOB_OPTIONS, jobId }) as unknown as Job<D, R>;
};

/**
 * Enqueues the entries `pending` of `work` and waits until every job has ended and been handled:
 * the entries still waiting when `options.signal` aborts (empty when all were handled). Throws
 * when a job failed, when Redis cannot be reached in `unreachableMs`, or when `completed` throws.
 */
export const awaitJobsOnQueue = async <D, R>(pending: readonly number[], work: QueuedWork<D, R>, options: QueueOptions): Promise<readonly number[]> => {
  if (pending.length === 0) return [];
  const handled = new Set<number>();
  // our own clients, so that closing can always cut them (BullMQ's close waits for a Redis that may not come back);
  // they (and any copy BullMQ makes of them) retry every 2 s at most, and stop retrying once we are done
  let closed = false;
  const retryStrategy = (times: number): number | null => (closed ? null : Math.min(times * 100, 2_000));
  const clients = [0, 1].map(() => new Redis(options.url, { maxRetriesPerRequest: null, retryStrategy }));
  const queue = new Queue<D, R>(options.queueName ?? MEMBER_QUEUE, { connection: clients[0] });
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
    const enqueuing = events.waitUntilReady().then(() => work.enqueue(queue, pending));
    enqueuing.catch(() => { /* raced below */ });
    const jobs = await Promise.race([enqueuing, aborted, timeout(unreachableMs,
      `could not reach Redis at ${options.url} within ${Math.round(unreachableMs / 1000)} s to queue the ${work.what}: is it running, and is the URL right?`)]);
    if (jobs === 'aborted') return pending;
    const w = watchJobs(queue, events, jobs.map((j) => j.job.id ?? ''), {
      url: options.url, pollMs: options.pollMs ?? 2_000, unreachableMs, onWarning: options.onWarning,
    });
    watch = w;
    const ids = new Set(jobs.map((j) => j.job.id));
    events.on('progress', ({ jobId, data }) => {
      if (ids.has(jobId) && typeof data === 'object' && data !== null) options.onEvent?.(data as MemberEvent);
    });
    const all = Promise.all(jobs.map(async ({ index, job }) => {
      work.completed(index, await awaitJob(queue, w, job.id ?? '', index, work, options.onWarning));
      handled.add(index);
    }));
    all.catch(() => { /* raced below; after an abort nobody awaits it */ });
    if (await Promise.race([all.then(() => 'done' as const), aborted, w.unreachable]) === 'aborted') return pending.filter((i) => !handled.has(i));
    return [];
  } finally {
    watch?.close();
    // closing waits for Redis: bounded, then the clients are cut, so a coordinator never hangs on its way out
    await closeWithin([events.close(), queue.close()], 5_000);
    closed = true;
    for (const c of clients) c.disconnect();
  }
};

/**
 * Waits for entry `index`'s job `id` to end: its value when it completed (undefined when the job
 * vanished after the entry finished); throws when it failed. A job gone from Redis (a restart
 * without its append-only file, a removal) is added again.
 */
const awaitJob = async <D, R>(
  queue: Queue<D, R>, watch: JobWatch, id: string, index: number, work: QueuedWork<D, R>, onWarning: ((line: string) => void) | undefined,
): Promise<unknown> => {
  for (;;) {
    const end = await watch.end(id);
    if (end.kind === 'failed') throw new Error(`${work.name(index)} (job ${id}) failed: ${end.reason}`);
    if (end.kind === 'completed') return end.value;
    if (work.finished(index)) return undefined;
    onWarning?.(`${work.name(index)}: job ${id} is gone from Redis; adding it again (it resumes from its checkpoint)`);
    watch.forget(id);
    await work.enqueue(queue, [index]);
  }
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
