/**
 * Training an ensemble from code: every member of a plan on worker threads (piscina), resumable
 * from its directory, stoppable by a signal, with each member's steps and epochs as events; then
 * the members' test-set predictions averaged and voted.
 */
import { join } from 'node:path';
import { loadDataset } from '../data/datasets.ts';
import { openEnsembleDirectory } from './directory.ts';
import type { EnsembleManifest } from './manifest.ts';
import { runOnMemberPool } from './member-pool.ts';
import type { MemberEvent, MemberOutcome, MemberStopped, RunOutcome } from './member-task.ts';
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

/**
 * Trains (or resumes) every member of `manifest` in the existing directory `out` (see
 * openEnsembleDirectory for what it refuses), each in `out/member-N`. A manifest with runs
 * (planEnsemble with method snapshot or swa) trains each run in `out/run-R`, which writes its
 * members' checkpoints; a stopped run names the run's index, not a member's.
 */
export const trainEnsemble = async (out: string, manifest: EnsembleManifest, options: TrainEnsembleOptions = {}): Promise<EnsembleRun> => {
  openEnsembleDirectory(out, manifest);
  const started = performance.now();
  const outcomes = manifest.runs === undefined
    ? await runOnMemberPool<MemberOutcome>(manifest.members.map((m) => (
      { index: m.index, seed: manifest.seed, config: m.config, checkpointDir: join(out, m.dir), tta: options.tta ?? 1 })), options, options.onMember)
    : await trainRuns(out, manifest, options);
  const seconds = (performance.now() - started) / 1000;
  const stopped = outcomes.filter((r): r is MemberStopped => 'interrupted' in r);
  if (stopped.length > 0) return { stopped: true, members: stopped, seconds };
  const finished = outcomes as readonly MemberOutcome[];
  const labels = loadDataset(manifest.members[0].config.dataset, false).test.labels;
  return { stopped: false, outcomes: finished, summary: summariseEnsemble(finished, labels), seconds };
};

/**
 * The runs of a snapshot or SWA ensemble, one pool task each (the run's index in its events and in
 * a MemberStopped), each run's members as its outcomes, in member order.
 */
const trainRuns = async (out: string, manifest: EnsembleManifest, options: TrainEnsembleOptions): Promise<readonly (MemberOutcome | MemberStopped)[]> => {
  const tasks = (manifest.runs ?? []).map((r) => ({
    index: r.index, seed: manifest.seed, config: r.config, checkpointDir: join(out, r.dir), tta: options.tta ?? 1,
    products: manifest.members.flatMap((m) => (m.from?.run === r.index ? [{ index: m.index, checkpointDir: join(out, m.dir), config: m.config, from: m.from }] : [])),
  }));
  const results = await runOnMemberPool<RunOutcome>(tasks, options, (r) => { for (const o of r.outcomes) options.onMember?.(o); });
  const stopped = results.filter((r): r is MemberStopped => 'interrupted' in r);
  if (stopped.length > 0) return stopped;
  return (results as readonly RunOutcome[]).flatMap((r) => r.outcomes).sort((a, b) => a.index - b.index);
};
