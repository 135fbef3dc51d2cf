/** Learning-rate schedules: functions from the step number (0-based) to a learning rate. */

/** A learning rate as a function of the optimizer step. */
export type Schedule = (step: number) => number;

/** The same rate at every step. */
export const constant = (lr: number): Schedule => () => lr;

/** Multiplies the rate by `factor` every `every` steps (the book's step decay). */
export const stepDecay = (lr: number, every: number, factor = 0.1): Schedule =>
  (step) => lr * factor ** Math.floor(step / every);

/** lr·rate^(step/decaySteps), smoothly. */
export const exponentialDecay = (lr: number, decaySteps: number, rate: number): Schedule =>
  (step) => lr * rate ** (step / decaySteps);

/** Cosine from lr to lr·alpha over `steps`, then flat. */
export const cosineDecay = (lr: number, steps: number, alpha = 0): Schedule => (step) => {
  const t = Math.min(step, steps) / steps;
  return lr * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + alpha);
};

/** Linear ramp from 0 to the inner schedule's rate over `warmupSteps`, then the inner schedule (shifted). */
export const linearWarmup = (warmupSteps: number, then: Schedule): Schedule => (step) =>
  step < warmupSteps ? (then(0) * (step + 1)) / warmupSteps : then(step - warmupSteps);

/** Options of `oneCycle`. */
export interface OneCycleOptions {
  /** Share of the steps spent rising to the peak (default 0.3). */
  readonly pctStart?: number;
  /** The rate starts at maxLr / divFactor (default 25). */
  readonly divFactor?: number;
  /** …and ends at maxLr / (divFactor · finalDivFactor) (default 1e4). */
  readonly finalDivFactor?: number;
}

/**
 * The one-cycle policy (Smith & Topin): a cosine rise from maxLr/divFactor to maxLr over the first
 * pctStart of the steps, then a cosine fall to a tiny rate at the last step (then flat).
 */
export const oneCycle = (maxLr: number, steps: number, options: OneCycleOptions = {}): Schedule => {
  const { pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4 } = options;
  if (!(pctStart > 0 && pctStart < 1)) throw new Error(`oneCycle: pctStart must be in (0, 1), got ${pctStart}`);
  const start = maxLr / divFactor;
  const end = start / finalDivFactor;
  const up = Math.max(1, Math.round(steps * pctStart));
  const down = Math.max(1, steps - up);
  const cos = (from: number, to: number, t: number): number => to + ((from - to) * (1 + Math.cos(Math.PI * Math.min(1, t)))) / 2;
  return (step) => (step < up ? cos(start, maxLr, step / up) : cos(maxLr, end, (step - up) / down));
};

/** Options of `cosineWarmRestarts`. */
export interface WarmRestartOptions {
  /** Each cycle ends at lr · alpha (default 0). */
  readonly alpha?: number;
  /** Each cycle is this many times longer than the one before (default 1: equal cycles). */
  readonly mult?: number;
}

/**
 * Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter): cycles of `cycleSteps` steps,
 * each from lr down to lr · alpha, the rate jumping back to lr at each restart. The end of each
 * cycle is a good model to keep (a snapshot ensemble's members).
 */
export const cosineWarmRestarts = (lr: number, cycleSteps: number, options: WarmRestartOptions = {}): Schedule => {
  const { alpha = 0, mult = 1 } = options;
  if (!(cycleSteps >= 1) || !(mult >= 1)) throw new Error(`cosineWarmRestarts: cycleSteps must be ≥ 1 and mult ≥ 1, got ${cycleSteps} and ${mult}`);
  return (step) => {
    let length = cycleSteps;
    let at = step;
    while (at >= length) { at -= length; length *= mult; }
    return lr * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * at) / length)) + alpha);
  };
};

/** A schedule from a number or a schedule. */
export const asSchedule = (lr: number | Schedule): Schedule => (typeof lr === 'number' ? constant(lr) : lr);
