/**
 * The kinds of job a queue worker takes (ensemble members, search trials): each decodes and checks
 * its own data, and says where and how it trains. The worker holds the lease, sends the progress
 * and hands a stopped job back the same way for every kind. Kinds are given to the worker rather
 * than imported by it, so a folder later than lib/queue (lib/search) can add one.
 */
import { existsSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { UnrecoverableError } from 'bullmq';
import * as E from 'fp-ts/lib/Either.js';
import type { MemberStopped } from '../ensemble/member-task.ts';
import type { TrainedOn } from './trained-on.ts';

/** A job's kind as its data names it; jobs queued before kinds existed are members. */
export type JobKindName = 'member' | 'trial';

/** A job checked and ready to train. */
export interface PreparedJob {
  /** The directory it trains and checkpoints in (inside --out, which exists). */
  readonly dir: string;
  /** Its name in log lines and errors: "member 2/<plan>", "trial 3/<plan>". */
  readonly label: string;
  /** Its planned epochs, for log lines. */
  readonly epochs: number;
  /** Trains it with its events on `port`: where it stopped, or the job's result and a log line. */
  readonly train: (port: MessagePort, trainedOn: TrainedOn) => Promise<MemberStopped | { readonly result: unknown; readonly line: string }>;
}

/** One kind of job: `prepare` decodes the job's data and checks it against --out, throwing UnrecoverableError when it cannot run here. */
export interface JobKind {
  readonly name: JobKindName;
  readonly prepare: (data: unknown) => PreparedJob;
}

/** The kind a job's data names (absent: a member, as every job queued before kinds existed). */
export const jobKindOf = (data: unknown): unknown =>
  (typeof data === 'object' && data !== null && 'kind' in data ? (data as { readonly kind: unknown }).kind : 'member');

/** The message of a job whose `--out` this worker does not see (`file`: the plan it looked for). */
export const notOnThisHost = (file: string): string =>
  `${file} is not on this host: --out must be on a file system that the coordinator and every worker share, at the same path`;

/** A job's data decoded, once the plan file it names (`planFile`) is found on this host; UnrecoverableError otherwise (another attempt would only repeat it). */
export const decodedOnThisHost = <D>(decode: (raw: unknown) => E.Either<Error, D>, raw: unknown, planFile: (data: D) => string): D => {
  const decoded = decode(raw);
  if (E.isLeft(decoded)) throw new UnrecoverableError(decoded.left.message);
  if (!existsSync(planFile(decoded.right))) throw new UnrecoverableError(notOnThisHost(planFile(decoded.right)));
  return decoded.right;
};
