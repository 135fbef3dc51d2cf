/** A trained model back from a tenfold checkpoint: the job configuration in its metadata rebuilds the network. */
import { decodeOrThrow } from '../decode.ts';
import { loadDataset } from '../data/datasets.ts';
import type { Layer } from '../layers/layer.ts';
import { models } from '../models/registry.ts';
import { sgd } from '../optim/optimizers.ts';
import { key } from '../random.ts';
import { loadCheckpoint, treeMismatches } from '../train/checkpoint.ts';
import { initTrainState } from '../train/fit.ts';
import type { Variables } from '../train/model.ts';
import { JobConfigC, type JobConfig } from './config.ts';
import { modelOf } from './job.ts';

/** The job configuration's codec (now in config.ts, re-exported for existing imports). */
export { JobConfigC } from './config.ts';

/** Loads a checkpoint written by `train --out` or an ensemble member and rebuilds its network. */
export const loadCheckpointedModel = (path: string): { readonly config: JobConfig; readonly net: Layer; readonly variables: Variables } => {
  const c = loadCheckpoint(path);
  const config = decodeOrThrow(JobConfigC, c.metadata, `${path}: checkpoint metadata does not describe a tenfold job`);
  const data = loadDataset(config.dataset, models[config.model].flatInput);
  const model = modelOf(config, data.classes);
  // refuse a checkpoint whose tensors do not fit the network its metadata names
  const fresh = initTrainState(model, sgd(0.1), key(0), data.inputShape);
  const mismatches = treeMismatches(c, { params: fresh.params, state: fresh.state });
  if (mismatches.length > 0) throw new Error(`${path}: checkpoint does not fit a ${config.model}: ${mismatches.join('; ')}`);
  return { config, net: model.net, variables: { params: c.params, state: c.state } };
};
