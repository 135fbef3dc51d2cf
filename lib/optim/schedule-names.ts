/** Learning-rate schedules by the names the command line uses, sized to a run's length. */
import { constant, cosineDecay, cosineWarmRestarts, exponentialDecay, linearWarmup, oneCycle, stepDecay, type Schedule } from './schedules.ts';

/**
 * Schedule names: constant; step (×0.1 at each third of the run); exponential (to 1% at the end); cosine (to 0);
 * warmup-cosine (one epoch of linear warmup, then cosine); one-cycle (a rise over 30% of the run, then a fall);
 * warm-restarts (cosine cycles, each back at the full rate: `cycles` of them over the run, default 4).
 */
export const scheduleNames = ['constant', 'step', 'exponential', 'cosine', 'warmup-cosine', 'one-cycle', 'warm-restarts'] as const;
/** One of `scheduleNames`. */
export type ScheduleName = (typeof scheduleNames)[number];

/** The schedule called `name` for a run of `totalSteps` optimizer steps. */
export const scheduleByName = (name: ScheduleName, lr: number, totalSteps: number, stepsPerEpoch: number, cycles = 4): Schedule => {
  const total = Math.max(1, totalSteps);
  switch (name) {
    case 'constant': return constant(lr);
    case 'step': return stepDecay(lr, Math.max(1, Math.ceil(total / 3)), 0.1);
    case 'exponential': return exponentialDecay(lr, total, 0.01);
    case 'cosine': return cosineDecay(lr, total);
    case 'warmup-cosine': {
      const warm = Math.min(stepsPerEpoch, Math.floor(total / 2));
      return linearWarmup(warm, cosineDecay(lr, total - warm));
    }
    case 'one-cycle': return oneCycle(lr, total);
    case 'warm-restarts': return cosineWarmRestarts(lr, Math.max(1, Math.ceil(total / Math.max(1, cycles))));
  }
};
