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
import type { MemberEvent, MemberOutcome, MemberStopped } from './member-task.ts';
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
 * openEnsembleDirectory for what it refuses), each in `out/member-N`.
 */
export const trainEnsemble = async (out: string, manifest: EnsembleManifest, options: TrainEnsembleOptions = {}): Promise<EnsembleRun> => {
  openEnsembleDirectory(out, manifest);
  const started = performance.now();
  const tasks = manifest.members.map((m) => ({ index: m.index, seed: manifest.seed, config: m.config, checkpointDir: join(out, m.dir), tta: options.tta ?? 1 }));
  const results = await runOnMemberPool<MemberOutcome>(tasks, options, options.onMember);
  const seconds = (performance.now() - started) / 1000;
  const stopped = results.filter((r): r is MemberStopped => 'interrupted' in r);
  if (stopped.length > 0) return { stopped: true, members: stopped, seconds };
  const outcomes = results as readonly MemberOutcome[];
  const labels = loadDataset(manifest.members[0].config.dataset, false).test.labels;
  return { stopped: false, outcomes, summary: summariseEnsemble(outcomes, labels), seconds };
};
