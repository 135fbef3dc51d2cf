/**
 * How the coordinator learns that member jobs ended: from QueueEvents at once, and from a poll of
 * each job's state every `pollMs`, so an event lost while Redis was down (or restarting) cannot
 * leave it waiting for ever. The poll also tells when Redis has been unreachable for too long.
 */
import type { Queue, QueueEvents } from 'bullmq';

/** How a job ended: completed with the worker's value, failed for good, or gone from Redis (lost, removed). */
export type JobEnd =
  | { readonly kind: 'completed'; readonly value: unknown }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'missing' };

/** Options of `watchJobs`. */
export interface JobWatchOptions {
  /** How often every unfinished job's state is read (ms). */
  readonly pollMs: number;
  /** Give up once no poll has reached Redis for this long (ms). */
  readonly unreachableMs: number;
  /** The Redis URL, for messages. */
  readonly url: string;
  /** Told when Redis stops answering and when it is back. */
  readonly onWarning?: (line: string) => void;
}

/** Watched jobs: `end` of an id, `unreachable` rejects when Redis stays away; `close` stops the poll. */
export interface JobWatch {
  /** Resolves once the job ends (or is found missing); `forget` it before waiting for a job added again. */
  readonly end: (id: string) => Promise<JobEnd>;
  readonly forget: (id: string) => void;
  readonly unreachable: Promise<never>;
  readonly close: () => void;
}

interface Waiting { readonly promise: Promise<JobEnd>; readonly settle: (e: JobEnd) => void; settled: boolean }

const waiting = (): Waiting => {
  let settle: (e: JobEnd) => void = () => undefined;
  const promise = new Promise<JobEnd>((done) => { settle = done; });
  const w: Waiting = { promise, settle: (e) => { if (!w.settled) { w.settled = true; settle(e); } }, settled: false };
  return w;
};

const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Watches the jobs `ids` of `queue` (with `events` of the same queue) until `close`. */
export const watchJobs = <D, R>(queue: Queue<D, R>, events: QueueEvents, ids: readonly string[], options: JobWatchOptions): JobWatch => {
  const jobs = new Map<string, Waiting>();
  const entry = (id: string): Waiting => {
    let w = jobs.get(id);
    if (w === undefined) { w = waiting(); jobs.set(id, w); }
    return w;
  };
  for (const id of ids) entry(id);
  const onCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }): void => { jobs.get(jobId)?.settle({ kind: 'completed', value: returnvalue }); };
  const onFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }): void => { jobs.get(jobId)?.settle({ kind: 'failed', reason: failedReason }); };
  events.on('completed', onCompleted);
  events.on('failed', onFailed);

  let lastAnswer = Date.now();
  let down: string | undefined; // why Redis is thought unreachable, while it is
  const lost = (why: string): void => {
    if (down !== undefined) return;
    down = why;
    options.onWarning?.(`Redis at ${options.url} does not answer (${why}): waiting for it; the workers go on training`);
  };
  const onError = (err: Error): void => lost(err.message);
  queue.on('error', onError);
  events.on('error', onError);

  let giveUp: (err: Error) => void = () => undefined;
  const unreachable = new Promise<never>((_, reject) => { giveUp = reject; });
  unreachable.catch(() => { /* raced by the caller; unobserved after a normal end */ });

  const poll = async (): Promise<void> => {
    for (const [id, w] of jobs) {
      if (w.settled) continue;
      const state = await queue.getJobState(id);
      if (state === 'completed' || state === 'failed') {
        const job = await queue.getJob(id);
        if (job === undefined) w.settle({ kind: 'missing' });
        else if (state === 'completed') w.settle({ kind: 'completed', value: job.returnvalue });
        else w.settle({ kind: 'failed', reason: job.failedReason });
      } else if (state === 'unknown') {
        w.settle({ kind: 'missing' });
      }
    }
    lastAnswer = Date.now();
    if (down !== undefined) {
      down = undefined;
      options.onWarning?.(`Redis at ${options.url} answers again`);
    }
  };
  let polling = false;
  const tick = (): void => {
    const silent = Date.now() - lastAnswer;
    if (silent > options.unreachableMs) {
      giveUp(new Error(`Redis at ${options.url} has not answered for ${Math.round(silent / 1000)} s (${down ?? 'no reply'}): ` +
        'stopped waiting; the jobs and every checkpoint stay, and the same command waits for them again'));
      return;
    }
    if (polling) { if (silent > 2 * options.pollMs) lost(`no reply for ${Math.round(silent / 1000)} s`); return; }
    polling = true;
    poll().catch((err: unknown) => lost(errorMessage(err))).finally(() => { polling = false; });
  };
  const timer = setInterval(tick, options.pollMs);
  tick();
  return {
    end: (id) => entry(id).promise,
    forget: (id) => { jobs.delete(id); },
    unreachable,
    close: () => {
      clearInterval(timer);
      events.off('completed', onCompleted);
      events.off('failed', onFailed);
      queue.off('error', onError);
      events.off('error', onError);
    },
  };
};
