/** The small job the fault specs train: a tiny MLP on MNIST, two quick epochs. */
import type { JobConfig } from '../../lib/jobs/job.ts';

/** Two epochs of a 16-unit MLP (300 steps each), train accuracy on 1000 examples. */
export const FAULT_JOB: JobConfig = {
  model: 'mlp', hidden: [16], optimizer: 'adam', lr: 0.002, schedule: 'constant', batchSize: 200, epochs: 2,
  weightDecay: 0, dataset: 'mnist', augment: [], trainEvalLimit: 1000,
};

/** The same job as `npm run train` flags. */
export const FAULT_JOB_FLAGS = [
  '--model', 'mlp', '--hidden', '16', '--optimizer', 'adam', '--lr', '0.002', '--batch-size', '200', '--epochs', '2',
  '--train-eval-limit', '1000', '--seed', '7',
] as const;

/** The seed both forms use. */
export const FAULT_SEED = 7;
