/** A trained model back from a tenfold checkpoint: the job configuration in its metadata rebuilds the network. */
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { augmentNames } from '../augment/presets.ts';
import { datasetNames, loadDataset } from '../data/datasets.ts';
import type { Layer } from '../layers/layer.ts';
import { initNames, modelNames, models } from '../models/registry.ts';
import { optimizerNames } from '../optim/optimizers.ts';
import { sgd } from '../optim/optimizers.ts';
import { scheduleNames } from '../optim/schedule-names.ts';
import { key } from '../random.ts';
import { loadCheckpoint, treeMismatches } from '../train/checkpoint.ts';
import { initTrainState } from '../train/fit.ts';
import type { Variables } from '../train/model.ts';
import { modelOf, type JobConfig } from './job.ts';

const keysOf = <N extends string>(names: readonly N[]) => t.keyof(Object.fromEntries(names.map((n) => [n, null])) as Record<N, null>);

/** The job configuration stored in a checkpoint's metadata. */
export const JobConfigC = t.intersection([
  t.type({
    model: keysOf(modelNames), hidden: t.array(t.number), optimizer: keysOf(optimizerNames), lr: t.number,
    schedule: keysOf(scheduleNames), batchSize: t.number, epochs: t.number, weightDecay: t.number,
    dataset: keysOf(datasetNames), augment: t.array(keysOf(augmentNames)),
  }),
  t.partial({ init: keysOf(initNames), trainEvalLimit: t.number, maxLoss: t.number }),
]);

/** Loads a checkpoint written by `train --out` or an ensemble member and rebuilds its network. */
export const loadCheckpointedModel = (path: string): { readonly config: JobConfig; readonly net: Layer; readonly variables: Variables } => {
  const c = loadCheckpoint(path);
  const decoded = JobConfigC.decode(c.metadata);
  if (isLeft(decoded)) {
    const e = decoded.left[0];
    const field = e?.context.map((x) => x.key).filter((k) => k !== '').join('.') ?? '';
    throw new Error(`${path}: checkpoint metadata does not describe a tenfold job (field "${field}": ${JSON.stringify(e?.value)})`);
  }
  const config = decoded.right;
  const data = loadDataset(config.dataset, models[config.model].flatInput);
  const model = modelOf(config, data.classes);
  // refuse a checkpoint whose tensors do not fit the network its metadata names
  const fresh = initTrainState(model, sgd(0.1), key(0), data.inputShape);
  const mismatches = treeMismatches(c, { params: fresh.params, state: fresh.state });
  if (mismatches.length > 0) throw new Error(`${path}: checkpoint does not fit a ${config.model}: ${mismatches.join('; ')}`);
  return { config, net: model.net, variables: { params: c.params, state: c.state } };
};
