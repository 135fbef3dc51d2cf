/** The values a random search tries: log-uniform samples of the learning rate and the weight decay, trial by trial from the seed. */
import { foldIn, key, uniform } from '../random.ts';

/** A range of positive numbers, low < high, sampled log-uniformly. */
export interface LogRange {
  readonly low: number;
  readonly high: number;
}

/** What a search samples: a range for the learning rate and one for the weight decay. */
export interface SearchSpace {
  readonly lr: LogRange;
  readonly weightDecay: LogRange;
}

/** One trial's sampled values. */
export interface TrialValues {
  readonly lr: number;
  readonly weightDecay: number;
}

// the samples' keys: the seed's key with this folded in, then the trial index (training uses the seed's key itself)
const SAMPLE_FOLD = 0x736561;

/** Significant digits a sample keeps: short in the table and in the printed command, still log-uniform to within 0.5%. */
export const SAMPLE_DIGITS = 3;

/** Why a range cannot be sampled log-uniformly, if it cannot. */
export const rangeProblem = (r: LogRange): string | undefined =>
  (Number.isFinite(r.low) && Number.isFinite(r.high) && r.low > 0 && r.low < r.high ? undefined : `expected 0 < LOW < HIGH, got ${r.low}:${r.high}`);

/** The point a fraction u ∈ [0, 1) of the way from low to high on a log scale, rounded to SAMPLE_DIGITS and kept in [low, high]. */
export const logUniform = (u: number, r: LogRange): number => {
  const x = Math.exp(Math.log(r.low) + u * (Math.log(r.high) - Math.log(r.low)));
  return Math.min(r.high, Math.max(r.low, Number(x.toPrecision(SAMPLE_DIGITS))));
};

/** A sample as written in tables and commands: exponent form below 0.001 ("3.18e-6"), and always the exact value back when parsed. */
export const formatSample = (x: number): string => (x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential() : String(x));

/** Trial `index`'s values: from its own key, so adding trials to a search keeps the earlier trials' values. */
export const sampleTrial = (seed: number, index: number, space: SearchSpace): TrialValues => {
  const [u, v] = uniform(foldIn(foldIn(key(seed), SAMPLE_FOLD), index), [2], 0, 1, 'float64').data;
  return { lr: logUniform(u, space.lr), weightDecay: logUniform(v, space.weightDecay) };
};
