/**
 * Training an ensemble from code: every member of a plan on worker threads (piscina), resumable
 * from its directory, stoppable by a signal, with each member's steps and epochs as events; then
 * the members' test-set predictions averaged and voted.
 */
import { availableParallelism } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { loadDataset } from '../data/datasets.ts';
import { openEnsembleDirectory } from './directory.ts';
import type { EnsembleManifest } from './manifest.ts';
import { STOP_MEMBER, type MemberEvent, type MemberOutcome, type MemberStopped, type MemberTask } from './member-task.ts';
import { summariseEnsemble, type EnsembleSummary } from './summary.ts';

/** Options of `trainEnsemble`. */
export interface TrainEnsembleOptions {
  /** Worker threads (default: one per core, at most one per member). */
  readonly workers?: number;
  /** Test-time augmentation views per member (default 1: none). */
  readonly tta?: number;
  /** Stops every member at its next step; each checkpoints there, queued members do not start. */
  readonly signal?: AbortSignal;
  /** Each member's steps, epochs and notes, as they happen. */
  readonly onEvent?: (event: MemberEvent) => void;
  /** Each member's outcome as it finishes. */
  readonly onMember?: (outcome: MemberOutcome) => void;
  /**
   * Modules (file URLs or paths) each worker imports before training: a dataset registered from
   * code (registerDataset) is known only to the thread that registered it, so its module goes here.
   */
  readonly workerModules?: readonly string[];
}

/** What `trainEnsemble` gives: every member's outcome and the combined figures, or which members stopped. */
export type EnsembleRun =
  | { readonly stopped: false; readonly outcomes: readonly MemberOutcome[]; readonly summary: EnsembleSummary; readonly seconds: number }
  | { readonly stopped: true; readonly members: readonly MemberStopped[]; readonly seconds: number };

// the worker entry beside this module: worker.ts under tsx, worker.js in the built package
const workerFile = new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

/**
 * Trains (or resumes) every member of `manifest` in the existing directory `out` (see
 * openEnsembleDirectory for what it refuses), each in `out/member-N`.
 */
export const trainEnsemble = async (out: string, manifest: EnsembleManifest, options: TrainEnsembleOptions = {}): Promise<EnsembleRun> => {
  openEnsembleDirectory(out, manifest);
  const started = performance.now();
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), manifest.members.length));
  // with a worker per core, each worker's kernels use one thread (more would only contend)
  const threadsPerWorker = Math.max(1, Math.floor(availableParallelism() / workers));
  const pool = new Piscina({
    filename: workerFile, minThreads: workers, maxThreads: workers, idleTimeout: 1000, concurrentTasksPerWorker: 1,
    env: { ...process.env, TENFOLD_THREADS: process.env.TENFOLD_THREADS ?? String(threadsPerWorker) },
  });
  const ports = new Set<MessagePort>();
  const stopAll = (): void => { for (const port of ports) port.postMessage(STOP_MEMBER); };
  options.signal?.addEventListener('abort', stopAll, { once: true });
  const results = await Promise.all(manifest.members.map(async (m): Promise<MemberOutcome | MemberStopped> => {
    const channel = new MessageChannel();
    ports.add(channel.port2);
    channel.port2.on('message', (e: MemberEvent) => options.onEvent?.(e));
    if (options.signal?.aborted === true) channel.port2.postMessage(STOP_MEMBER);
    const task: MemberTask = {
      index: m.index, seed: manifest.seed, config: m.config, checkpointDir: join(out, m.dir), tta: options.tta ?? 1, port: channel.port1,
      modules: (options.workerModules ?? []).map((u) => (u.startsWith('file:') ? u : pathToFileURL(resolve(u)).href)),
    };
    try {
      const r = await pool.run(task, { transferList: [channel.port1] }) as MemberOutcome | MemberStopped;
      if (!('interrupted' in r)) options.onMember?.(r);
      return r;
    } finally {
      ports.delete(channel.port2);
      channel.port2.close();
    }
  })).finally(() => {
    options.signal?.removeEventListener('abort', stopAll);
    return pool.destroy();
  });
  const seconds = (performance.now() - started) / 1000;
  const stopped = results.filter((r): r is MemberStopped => 'interrupted' in r);
  if (stopped.length > 0) return { stopped: true, members: stopped, seconds };
  const outcomes = results as MemberOutcome[];
  const labels = loadDataset(manifest.members[0].config.dataset, false).test.labels;
  return { stopped: false, outcomes, summary: summariseEnsemble(outcomes, labels), seconds };
};
