/** A search directory: search.json written once, then only resumed (or given more or fewer trials) with the same flags. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ENSEMBLE_FILE, firstDifference } from '../ensemble/manifest.ts';
import type { JobConfig } from '../jobs/config.ts';
import { JobSetupError } from '../jobs/job.ts';
import { checkpointFiles } from '../train/checkpoint.ts';
import { readSearchManifest, SEARCH_FILE, writeSearchManifest, type SearchManifest } from './manifest.ts';

/** The command-line flag of each job field, so a refusal names what to change. */
const flagOf: Readonly<Record<string, string>> = {
  model: '--model', hidden: '--hidden', init: '--init', optimizer: '--optimizer', schedule: '--schedule', batchSize: '--batch-size',
  epochs: '--epochs', dataset: '--dataset', augment: '--augment', trainEvalLimit: '--train-eval-limit', maxLoss: '--max-loss',
  validation: '--validation', labelSmoothing: '--label-smoothing', earlyStopping: '--early-stopping', lr: '--lr', weightDecay: '--weight-decay',
};

const show = (v: unknown): string => (v === undefined ? 'absent' : JSON.stringify(v));
const showRange = (r: { readonly low: number; readonly high: number }): string => `${r.low}:${r.high}`;

/** The first difference between two configurations, named by its flag ("--epochs is 1 there but 2 now"). */
const configDifference = (saved: JobConfig, now: JobConfig): string | undefined => {
  const a = saved as Readonly<Record<string, unknown>>;
  const b = now as Readonly<Record<string, unknown>>;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return `${flagOf[k] ?? k} is ${show(a[k])} there but ${show(b[k])} now`;
  }
  return undefined;
};

/**
 * Where a saved search and a planned one differ in anything but their number of trials, named by
 * the flag: the seed, a range, or a shared setting (compared on the trials both have).
 */
export const searchDifference = (saved: SearchManifest, now: SearchManifest): string | undefined => {
  if (saved.seed !== now.seed) return `--seed is ${saved.seed} there but ${now.seed} now`;
  if (firstDifference(saved.space.lr, now.space.lr) !== undefined) return `--lr is ${showRange(saved.space.lr)} there but ${showRange(now.space.lr)} now`;
  if (firstDifference(saved.space.weightDecay, now.space.weightDecay) !== undefined) {
    return `--weight-decay is ${showRange(saved.space.weightDecay)} there but ${showRange(now.space.weightDecay)} now`;
  }
  const common = Math.min(saved.trials.length, now.trials.length);
  for (let i = 0; i < common; i++) {
    const d = configDifference(saved.trials[i].config, now.trials[i].config)
      ?? firstDifference({ index: saved.trials[i].index, dir: saved.trials[i].dir }, { index: now.trials[i].index, dir: now.trials[i].dir });
    if (d !== undefined) return i === 0 ? d : `trial ${i + 1}: ${d}`;
  }
  return undefined;
};

/**
 * Makes `out` (an existing directory) hold `manifest`: writes search.json when there is none, or
 * checks that the one there is the same search (then records the new number of trials: trial i is
 * the same whatever the count). Refuses, naming the flag, a different search; an ensemble's
 * directory; and a directory without search.json whose trial directories hold checkpoints.
 */
export const openSearchDirectory = (out: string, manifest: SearchManifest): void => {
  if (existsSync(join(out, ENSEMBLE_FILE))) throw new JobSetupError(`--out ${out} holds ${ENSEMBLE_FILE}: an ensemble's directory, not a search's; choose another --out`);
  if (existsSync(join(out, SEARCH_FILE))) {
    const difference = searchDifference(readSearchManifest(out), manifest);
    if (difference !== undefined) {
      throw new JobSetupError(`--out ${out}: ${SEARCH_FILE} describes a different search (${difference}); use the same flags to resume it, or another --out`);
    }
  } else {
    const stray = manifest.trials.find((t) => checkpointFiles(join(out, t.dir)).length > 0);
    if (stray !== undefined) {
      throw new JobSetupError(`--out ${out} has no ${SEARCH_FILE} but ${stray.dir} holds checkpoints: not a search this command wrote; choose another --out`);
    }
  }
  writeSearchManifest(out, manifest);
};
