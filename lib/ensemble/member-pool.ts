/**
 * Tasks on a pool of worker threads (piscina): each ensemble member or search trial trains in a
 * worker, reports its steps and epochs as events, and stops at its next step when the signal aborts.
 */
import { availableParallelism } from 'node:os';
import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { STOP_MEMBER, type MemberEvent, type MemberStopped, type MemberTask } from './member-task.ts';

/** A task as the caller gives it: everything but the port and the modules, which the pool adds. */
export type PoolTask = Omit<MemberTask, 'port' | 'modules'>;

/** Options of `runOnMemberPool`. */
export interface MemberPoolOptions {
  /** Worker threads (default: one per core, at most one per task). */
  readonly workers?: number;
  /** Stops every task at its next step; each checkpoints there, queued tasks do not start. */
  readonly signal?: AbortSignal;
  /** Each task's steps, epochs and notes, as they happen. */
  readonly onEvent?: (event: MemberEvent) => void;
  /** Modules (file URLs or paths) each worker imports before training (datasets registered from code). */
  readonly workerModules?: readonly string[];
}

// the worker entry beside this module: worker.ts under tsx, worker.js in the built package
const workerFile = new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

/**
 * Runs every task on a fresh pool and gives each one's result (R: what its worker returns) or
 * where it stopped, in task order; `onResult` hears each result as it comes. The pool is destroyed
 * at the end, also when a task fails (its error is thrown).
 */
export const runOnMemberPool = async <R extends { readonly index: number }>(
  tasks: readonly PoolTask[], options: MemberPoolOptions = {}, onResult?: (result: R) => void,
): Promise<readonly (R | MemberStopped)[]> => {
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), tasks.length));
  // with a worker per core, each worker's kernels use one thread (more would only contend)
  const threadsPerWorker = Math.max(1, Math.floor(availableParallelism() / workers));
  const pool = new Piscina({
    filename: workerFile, minThreads: workers, maxThreads: workers, idleTimeout: 1000, concurrentTasksPerWorker: 1,
    env: { ...process.env, TENFOLD_THREADS: process.env.TENFOLD_THREADS ?? String(threadsPerWorker) },
  });
  const ports = new Set<MessagePort>();
  const stopAll = (): void => { for (const port of ports) port.postMessage(STOP_MEMBER); };
  options.signal?.addEventListener('abort', stopAll, { once: true });
  const modules = (options.workerModules ?? []).map((u) => (u.startsWith('file:') ? u : pathToFileURL(resolve(u)).href));
  return Promise.all(tasks.map(async (t): Promise<R | MemberStopped> => {
    const channel = new MessageChannel();
    ports.add(channel.port2);
    channel.port2.on('message', (e: MemberEvent) => options.onEvent?.(e));
    if (options.signal?.aborted === true) channel.port2.postMessage(STOP_MEMBER);
    const task: MemberTask = { ...t, port: channel.port1, modules };
    try {
      const r = await pool.run(task, { transferList: [channel.port1] }) as R | MemberStopped;
      if (!('interrupted' in r)) onResult?.(r);
      return r;
    } finally {
      ports.delete(channel.port2);
      channel.port2.close();
    }
  })).finally(() => {
    options.signal?.removeEventListener('abort', stopAll);
    return pool.destroy();
  });
};
