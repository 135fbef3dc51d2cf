/** A search's plan: N trials, each the base configuration with its own sampled learning rate and weight decay. */
import type { JobConfig } from '../jobs/config.ts';
import type { SearchManifest } from './manifest.ts';
import { rangeProblem, sampleTrial, type SearchSpace } from './sample.ts';

/** What every trial shares: a job configuration without the two sampled values; `validation` is required. */
export type SearchBase = Omit<JobConfig, 'lr' | 'weightDecay'>;

/** The directory of trial `index` inside the search directory. */
export const trialDir = (index: number): string => `trial-${index + 1}`;

/**
 * The manifest of `trials` trials; trial i samples its values from the seed and i alone (see
 * sampleTrial). Throws when the base holds out no validation examples (a trial is scored on
 * them, never on the test set) or a range cannot be sampled.
 */
export const planSearch = (base: SearchBase, space: SearchSpace, seed: number, trials: number): SearchManifest => {
  if (base.validation === undefined || !(Number.isInteger(base.validation) && base.validation >= 1)) {
    throw new Error(`planSearch: validation must be a whole number ≥ 1 (the held-out examples that score each trial), got ${base.validation}`);
  }
  if (!(Number.isInteger(trials) && trials >= 1)) throw new Error(`planSearch: trials must be a whole number ≥ 1, got ${trials}`);
  for (const [name, r] of [['lr', space.lr], ['weightDecay', space.weightDecay]] as const) {
    const problem = rangeProblem(r);
    if (problem !== undefined) throw new Error(`planSearch: space.${name}: ${problem}`);
  }
  return {
    format: 'tenfold-search', version: 1, seed, space,
    trials: Array.from({ length: trials }, (_, index) => ({ index, dir: trialDir(index), config: { ...base, ...sampleTrial(seed, index, space) } })),
  };
};
