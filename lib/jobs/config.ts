/** A training job's configuration: one io-ts codec, and its type derived from it (checkpoints and ensemble.json store it). */
import * as t from 'io-ts';
import { augmentNames } from '../augment/presets.ts';
import { isRegistered, unknownDatasetMessage, type DatasetName } from '../data/registry.ts';
import { initNames, modelNames } from '../models/registry.ts';
import { optimizerNames } from '../optim/optimizers.ts';
import { scheduleNames } from '../optim/schedule-names.ts';

const keysOf = <N extends string>(names: readonly N[]) => t.keyof(Object.fromEntries(names.map((n) => [n, null])) as Record<N, null>);

/** A registered dataset's name; checked when decoded (a dataset may be registered after this module loads). */
export const DatasetNameC = new t.Type<DatasetName, DatasetName, unknown>(
  'DatasetName',
  (u): u is DatasetName => typeof u === 'string' && isRegistered(u),
  (u, c) => (typeof u === 'string' && isRegistered(u) ? t.success(u) : t.failure(u, c, unknownDatasetMessage(String(u)))),
  t.identity,
);

/** Everything that defines a training run, as stored in a checkpoint's metadata and in ensemble.json. */
export const JobConfigC = t.readonly(t.intersection([
  t.type({
    model: keysOf(modelNames), hidden: t.readonlyArray(t.number), optimizer: keysOf(optimizerNames), lr: t.number,
    schedule: keysOf(scheduleNames), batchSize: t.number, epochs: t.number, weightDecay: t.number,
    dataset: DatasetNameC, augment: t.readonlyArray(keysOf(augmentNames)),
  }),
  t.partial({
    init: keysOf(initNames),
    /** Train accuracy per epoch on at most this many examples (default: all). */
    trainEvalLimit: t.number,
    /** The divergence guard's loss bound (see FitOptions.maxLoss; 0: off). A guard, not part of the run's identity. */
    maxLoss: t.number,
    /** Training examples held out (stratified, seeded from the run key) and measured after every epoch. */
    validation: t.number,
    /** Label smoothing ε of the softmax cross-entropy (default 0). */
    labelSmoothing: t.number,
    /** Stop once the validation metric has not improved for `patience` epochs. */
    earlyStopping: t.readonly(t.type({ monitor: t.keyof({ validationLoss: null, validationAccuracy: null }), patience: t.number })),
    /** Cosine cycles of the warm-restarts schedule over the run (default 4). */
    cycles: t.number,
    /**
     * Stochastic weight averaging: the parameters at every epoch end (with warm-restarts: every
     * cycle end) in epochs `start`…`epochs` are averaged into one more model (lib/train/swa.ts).
     */
    swa: t.readonly(t.type({ start: t.number })),
  }),
]));

/** Everything that defines a training run. */
export type JobConfig = t.TypeOf<typeof JobConfigC>;
