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

/** A schedule from a number or a schedule. */
export const asSchedule = (lr: number | Schedule): Schedule => (typeof lr === 'number' ? constant(lr) : lr);
