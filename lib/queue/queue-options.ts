/** How a coordinator reaches the queue (no client library imported here, so entry points may name the type without bullmq installed). */
import type { MemberEvent } from '../ensemble/member-task.ts';

/** How a coordinator reaches the queue: the options of `trainEnsembleOnQueue` and of a search on the queue. */
export interface QueueOptions {
  /** Redis, as `redis://HOST:PORT`. */
  readonly url: string;
  /** The queue (default MEMBER_QUEUE). */
  readonly queueName?: string;
  /** Stops waiting (the jobs stay queued and workers go on; the same command waits for them again). */
  readonly signal?: AbortSignal;
  /** Each job's epochs, notes and (about once a second) steps, as the workers report them. */
  readonly onEvent?: (event: MemberEvent) => void;
  /** Told what may need attention: Redis gone and back, a job lost and added again, work on different kernels. */
  readonly onWarning?: (line: string) => void;
  /** How often each unfinished job's state is read besides its events, ms (default 2000). */
  readonly pollMs?: number;
  /** Stop waiting (with an error) once Redis has not answered for this long, ms (default 600 000). */
  readonly unreachableMs?: number;
}
