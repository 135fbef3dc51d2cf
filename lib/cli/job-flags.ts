/** The flags that describe a training job, shared by `train` and `ensemble`. */
import { augmentNames } from '../augment/presets.ts';
import { registeredDatasetNames } from '../data/registry.ts';
import { initNames, modelNames } from '../models/registry.ts';
import { optimizerNames } from '../optim/optimizers.ts';
import { scheduleNames } from '../optim/schedule-names.ts';
import { listOf, NonNegativeNumber, oneOf, PositiveInt, PositiveIntList, PositiveNumber, Probability, Seed } from './codecs.ts';

/** Flags of one training job; defaults are the book's TwoLayerNet run. `--dataset` takes the datasets registered when this module loads. */
export const jobFlagSpecs = {
  hidden: { codec: PositiveIntList, default: '50', help: 'hidden layer sizes of an MLP, e.g. 100,50' },
  optimizer: { codec: oneOf(optimizerNames), default: 'sgd', help: `optimizer: ${optimizerNames.join('|')}` },
  lr: { codec: PositiveNumber, default: '0.1', help: 'learning rate (the peak rate of a schedule)' },
  schedule: { codec: oneOf(scheduleNames), default: 'constant', help: `learning-rate schedule: ${scheduleNames.join('|')}` },
  'batch-size': { codec: PositiveInt, default: '100', help: 'examples per minibatch' },
  epochs: { codec: PositiveInt, default: '17', help: 'passes over the training set' },
  seed: { codec: Seed, default: '1', help: 'random seed (same seed, same result)' },
  init: { codec: oneOf(initNames), help: `weight init: ${initNames.join('|')} (default: the model's own: std for mlp as the book's TwoLayerNet, He for the others)` },
  'weight-decay': { codec: NonNegativeNumber, default: '0', help: 'L2 weight decay λ (AdamW: decoupled decay, default 0.01)' },
  dataset: { codec: oneOf(registeredDatasetNames()), default: 'mnist', help: `dataset: ${registeredDatasetNames().join('|')}` },
  augment: { codec: listOf(augmentNames), default: 'none', help: 'augmentations, comma-separated: crop|flip|affine|none, or default (the dataset\'s preset)' },
  'max-loss': { codec: NonNegativeNumber, help: 'stop when a step\'s loss exceeds this (default: 100 × the largest of the first 20 steps; 0: no bound)' },
  'label-smoothing': { codec: Probability, help: 'label smoothing ε of the cross-entropy, in [0, 1) (default 0)' },
  validation: { codec: PositiveInt, help: 'hold out this many training examples (stratified, seeded) and measure them every epoch' },
  'early-stopping': { codec: PositiveInt, help: 'stop when the validation loss has not improved for this many epochs (needs --validation)' },
  'train-eval-limit': { codec: PositiveInt, help: 'measure train accuracy on at most this many examples (default: all)' },
  quiet: { codec: 'boolean', help: 'no progress output' },
  json: { codec: 'boolean', help: 'print one JSON object as the last line' },
  help: { codec: 'boolean', help: 'show this help' },
} as const;

/** The model flag, with a per-command default. */
export const modelFlag = (defaultModel: string) =>
  ({ codec: oneOf(modelNames), default: defaultModel, help: `model: ${modelNames.join('|')}` }) as const;
