/**
 * The worker side of the queue: takes jobs from Redis (ensemble members, and the other kinds it is
 * given: search trials) and trains each in this process, holding a lease on the job's checkpoint
 * directory meanwhile.
 *
 * Training runs on this thread with `fitAsync`, which yields to the event loop between steps, so
 * BullMQ's lock renewals (and the lease's) run while a job trains.
 */
import { mkdirSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { STOP_MEMBER, type MemberEvent } from '../ensemble/member-task.ts';
import { JobSetupError } from '../jobs/job.ts';
import { claimDirectory } from '../jobs/lock.ts';
import { CheckpointError } from '../train/checkpoint.ts';
import { DivergenceError } from '../train/fit.ts';
import { MEMBER_QUEUE } from './job-id.ts';
import { jobKindOf, type JobKind } from './job-kind.ts';
import { memberJobKind } from './member-kind.ts';
import { recordAttempt, thisMachine } from './trained-on.ts';

/** Options of `startMemberWorker`. */
export interface MemberWorkerOptions {
  /** Redis, as `redis://HOST:PORT`. */
  readonly url: string;
  /** Jobs trained at once by this process (they share its thread; run more processes for more cores). Default 1. */
  readonly concurrency?: number;
  /** The queue (default MEMBER_QUEUE). */
  readonly queueName?: string;
  /** Kinds of job taken besides members (`tenfold worker` adds the search's trials, lib/search/trial-kind.ts). */
  readonly kinds?: readonly JobKind[];
  /** BullMQ's job lock, ms (default 30 000): a job whose lock is not renewed for this long counts as stalled. */
  readonly lockDuration?: number;
  /** How often BullMQ looks for stalled jobs, ms (default 30 000). */
  readonly stalledInterval?: number;
  /** The lease on a job's checkpoint directory, ms (default 60 000), renewed every third of it. */
  readonly leaseMs?: number;
  /** The host name the leases present (default `os.hostname()`): for specs of several hosts. */
  readonly host?: string;
  /** Told what the worker does (a job taken, finished, failed). */
  readonly log?: (line: string) => void;
}

/** A running worker: `stop` stops its jobs at their next step (each checkpoints) and closes it. */
export interface MemberWorker {
  readonly worker: Worker<unknown, unknown>;
  readonly stop: () => Promise<void>;
}

// Step events are many; Redis gets one per job at most this often (epochs and notes always).
const STEP_PROGRESS_MS = 1000;

const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** An epoch as a log line: "epoch 2/3: loss 0.3012, train 90.10%, test 91.20% (1.4 s)" (validation instead of test for a trial). */
const epochLine = (e: Extract<MemberEvent, { kind: 'epoch' }>, epochs: number): string =>
  `epoch ${e.record.epoch}/${epochs}: loss ${e.record.meanLoss.toFixed(4)}, train ${pct(e.record.trainAccuracy)}` +
  `${e.record.validationAccuracy === undefined ? '' : `, validation ${pct(e.record.validationAccuracy)}`}` +
  `${e.record.testAccuracy === null ? '' : `, test ${pct(e.record.testAccuracy)}`} (${e.record.seconds.toFixed(1)} s)`;

/**
 * Gives a stopped job back to the queue at once (waiting, first in line, its attempts unspent),
 * then throws the WaitingError that tells BullMQ it has moved; an error if it cannot.
 */
const handBack = async (job: Job<unknown, unknown>, token: string | undefined, why: string): Promise<never> => {
  if (token === undefined) throw new Error(`${why}; no lock token to hand the job back with: another attempt resumes it`);
  try {
    await job.moveToWait(token);
  } catch (err) {
    throw new Error(`${why}; could not hand the job back (${errorMessage(err)}): another attempt resumes it`, { cause: err });
  }
  throw new WaitingError(`${why}; handed back to the queue`);
};

/** The jobs a worker trains now (each one's stop), and whether it is stopping (it then starts none). */
interface Running { stopping: boolean; readonly stops: Set<() => void> }

/** The kind of `job` among `kinds`; a kind this worker does not take fails the job for good, saying so. */
const kindOf = (job: Job<unknown, unknown>, kinds: ReadonlyMap<unknown, JobKind>): JobKind => {
  const name = jobKindOf(job.data);
  const kind = kinds.get(name);
  if (kind === undefined) {
    throw new UnrecoverableError(`job ${job.id ?? '?'} is of kind ${JSON.stringify(name)}, which this worker does not take (it takes ${[...kinds.keys()].join(', ')}): ` +
      'run `tenfold worker`, which takes members and trials');
  }
  return kind;
};

/** Trains one job; failures that another attempt would only repeat are unrecoverable. */
const processJob = async (
  job: Job<unknown, unknown>, token: string | undefined, kinds: ReadonlyMap<unknown, JobKind>, options: MemberWorkerOptions, running: Running,
): Promise<unknown> => {
  // BullMQ may hand a closing worker one more job (fetched as the last one completed): give it back untouched
  if (running.stopping) {
    options.log?.(`job ${job.id ?? '?'}: not started, this worker is stopping`);
    return handBack(job, token, 'not started');
  }
  const prepared = kindOf(job, kinds).prepare(job.data);
  const { dir, label } = prepared;
  // one level only (a recursive mkdir spins on procfs in Node 20); out exists, checked by prepare
  try { mkdirSync(dir); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
  const leaseMs = options.leaseMs ?? 60_000;
  // held by another live worker (a job delivered twice): a plain error, so BullMQ tries again later
  const claim = claimDirectory(dir, { leaseMs, host: options.host });
  const trainedOn = thisMachine();
  try {
    recordAttempt(dir, trainedOn);
  } catch (e) {
    claim.release();
    throw e;
  }
  const channel = new MessageChannel();
  const stop = (): void => channel.port2.postMessage(STOP_MEMBER);
  running.stops.add(stop);
  let lost = false;
  const renewal = setInterval(() => {
    try {
      if (!claim.renew()) { lost = true; stop(); }
    } catch (e) {
      options.log?.(`${label}: could not renew the lease on ${dir}: ${errorMessage(e)}`);
    }
  }, Math.max(1, Math.floor(leaseMs / 3)));
  let lastStep = 0;
  const deliver = (e: MemberEvent): void => {
    if (e.kind === 'epoch') options.log?.(`${label}: ${epochLine(e, prepared.epochs)}`);
    if (e.kind === 'step') {
      const now = Date.now();
      if (now - lastStep < STEP_PROGRESS_MS) return;
      lastStep = now;
    }
    job.updateProgress(e).catch((err: unknown) => options.log?.(`${label}: progress not sent: ${errorMessage(err)}`));
  };
  channel.port2.on('message', deliver);
  // the last events (the final epoch) may still be queued on the port when the job returns: closing it would drop them
  const drain = (): void => {
    for (let m = receiveMessageOnPort(channel.port2); m !== undefined; m = receiveMessageOnPort(channel.port2)) deliver(m.message as MemberEvent);
  };
  options.log?.(`${label}: training in ${dir} (job ${job.id ?? '?'}, kernels ${trainedOn.kernels})`);
  try {
    const r = await prepared.train(channel.port1, trainedOn);
    drain();
    if ('interrupted' in r) {
      // a lost lease fails the attempt (another worker trains it); a stop hands the job back unspent
      if (lost) throw new Error(`the lease on ${dir} expired and another worker took it over`);
      return await handBack(job, token, `stopped at ${r.checkpoint ?? 'its start'}`);
    }
    options.log?.(`${label}: ${r.line}`);
    return r.result;
  } catch (err) {
    if (err instanceof WaitingError) {
      options.log?.(`${label}: ${err.message}`);
      throw err;
    }
    options.log?.(`${label}: failed: ${errorMessage(err)}`);
    if (err instanceof JobSetupError || err instanceof DivergenceError || err instanceof CheckpointError) throw new UnrecoverableError(err.message);
    throw err;
  } finally {
    clearInterval(renewal);
    running.stops.delete(stop);
    claim.release();
    drain();
    channel.port1.close();
    channel.port2.close();
  }
};

/** Starts taking jobs (members, and `options.kinds`) from the queue at `options.url`. */
export const startMemberWorker = (options: MemberWorkerOptions): MemberWorker => {
  const running: Running = { stopping: false, stops: new Set() };
  const kinds = new Map<unknown, JobKind>([memberJobKind, ...(options.kinds ?? [])].map((k) => [k.name, k]));
  const worker = new Worker<unknown, unknown>(options.queueName ?? MEMBER_QUEUE, (job, token) => processJob(job, token, kinds, options, running), {
    // a worker's blocking connection must retry for ever (BullMQ requires it)
    connection: { url: options.url, maxRetriesPerRequest: null },
    concurrency: options.concurrency ?? 1,
    ...(options.lockDuration === undefined ? {} : { lockDuration: options.lockDuration }),
    ...(options.stalledInterval === undefined ? {} : { stalledInterval: options.stalledInterval }),
  });
  worker.on('error', (err) => options.log?.(`worker: ${err.message}`));
  return {
    worker,
    stop: async () => {
      running.stopping = true;
      for (const s of running.stops) s();
      await worker.close();
    },
  };
};
