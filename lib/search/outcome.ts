/** A trial's result: its values and its last epoch's validation figures, from its worker or read back from its checkpoint. */
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type { TrialDiverged, TrialTrained } from '../ensemble/member-task.ts';
import { firstDifference } from '../ensemble/manifest.ts';
import { findResumableE } from '../train/checkpoint.ts';
import { emptyHistory, stopsEarly, type History } from '../train/fit.ts';
import type { SearchTrial } from './manifest.ts';

/** What a trial gave. */
export interface TrialResult {
  readonly index: number;
  readonly lr: number;
  readonly weightDecay: number;
  /** The last epoch's accuracy and mean loss on the held-out examples (null when the trial diverged). */
  readonly validationAccuracy: number | null;
  readonly validationLoss: number | null;
  /** Epochs trained (fewer than planned when early stopping ended it; 0 when it diverged). */
  readonly epochs: number;
  /** Training seconds summed over its epochs (so a resumed trial counts every run's). */
  readonly seconds: number;
  /** Whether it continued from (or was read back from) a checkpoint. */
  readonly resumed: boolean;
  readonly history: History;
  /** Why it stopped, when the divergence guard stopped it. */
  readonly diverged?: string;
}

/** A trial's result from its history. */
export const trialResult = (trial: SearchTrial, history: History, resumed: boolean): TrialResult => {
  const last = history.epochs.at(-1);
  return {
    index: trial.index, lr: trial.config.lr, weightDecay: trial.config.weightDecay,
    validationAccuracy: last?.validationAccuracy ?? null, validationLoss: last?.validationLoss ?? null,
    epochs: history.epochs.length, seconds: history.epochs.reduce((s, e) => s + e.seconds, 0), resumed, history,
  };
};

/** A trial's result from what its worker sent back. */
export const resultFromWorker = (trial: SearchTrial, r: TrialTrained | TrialDiverged): TrialResult =>
  ('diverged' in r ? { ...trialResult(trial, emptyHistory, false), seconds: r.seconds, diverged: r.diverged } : trialResult(trial, r.history, r.resumed));

/**
 * The trial in `out`, when its newest checkpoint is of this configuration and finished (every
 * epoch, or stopped early); undefined otherwise, and for a checkpoint that does not verify (the
 * worker that resumes it names the problem).
 */
export const finishedTrial = (out: string, trial: SearchTrial): TrialResult | undefined => {
  const found = findResumableE(join(out, trial.dir));
  if (E.isLeft(found) || found.right === undefined) return undefined;
  const c = found.right.checkpoint;
  if ((c.epochStep ?? 0) > 0 || firstDifference(c.metadata, JSON.parse(JSON.stringify(trial.config))) !== undefined) return undefined;
  if (c.epoch < trial.config.epochs && !stopsEarly(c.history, trial.config.earlyStopping)) return undefined;
  return trialResult(trial, c.history, true);
};

/** Better first: higher validation accuracy, then lower validation loss, then the earlier trial; diverged trials last. */
export const compareTrials = (a: TrialResult, b: TrialResult): number =>
  (b.validationAccuracy ?? -1) - (a.validationAccuracy ?? -1)
  || (a.validationLoss ?? Infinity) - (b.validationLoss ?? Infinity)
  || a.index - b.index;

/** The trials ranked, best first. */
export const rankTrials = (trials: readonly TrialResult[]): readonly TrialResult[] => [...trials].sort(compareTrials);

/** The best trial that did not diverge, if any. */
export const bestTrial = (trials: readonly TrialResult[]): TrialResult | undefined => rankTrials(trials).find((t) => t.validationAccuracy !== null);
