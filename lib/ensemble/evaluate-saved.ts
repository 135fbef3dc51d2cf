/** Evaluates a saved ensemble directory: every member from its checkpoint, then averaged and voted. */
import { join } from 'node:path';
import { loadDataset } from '../data/datasets.ts';
import { models } from '../models/registry.ts';
import { argmax } from '../ops/reduce.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { modelOf } from '../jobs/job.ts';
import { loadCheckpoint } from '../train/checkpoint.ts';
import { initTrainState } from '../train/fit.ts';
import { accuracyOf, predictProbabilities } from '../train/model.ts';
import { sgd } from '../optim/optimizers.ts';
import { key } from '../random.ts';
import { readEnsembleManifest } from './manifest.ts';
import { summariseEnsemble, type EnsembleSummary } from './summary.ts';

/** Loads every member of an ensemble directory and measures it on its dataset's test set. */
export const evaluateSavedEnsemble = (dir: string): EnsembleSummary & { readonly dataset: string; readonly incomplete: readonly number[] } => {
  const manifest = readEnsembleManifest(dir);
  const incomplete: number[] = [];
  const outcomes = manifest.members.map((m) => {
    const started = performance.now();
    const data = loadDataset(m.config.dataset, models[m.config.model].flatInput);
    const model = modelOf(m.config, data.classes);
    // the expected tree shapes come from a fresh model, so a checkpoint of another architecture is refused
    const fresh = initTrainState(model, sgd(0.1), key(0), data.inputShape);
    const c = loadCheckpoint(join(dir, m.dir), { expect: { params: fresh.params, state: fresh.state } });
    if (c.epoch < m.config.epochs) incomplete.push(m.index);
    const probs = predictProbabilities(model.net, { params: c.params, state: c.state }, data.test);
    return {
      index: m.index, testAccuracy: accuracyOf(argmax(probs, 1), data.test.labels), seconds: (performance.now() - started) / 1000,
      resumed: true, history: c.history, probabilities: Float32Array.from(unsafeMutableData(probs)), classes: probs.shape[1],
    };
  });
  const data = loadDataset(manifest.members[0].config.dataset, false);
  return { ...summariseEnsemble(outcomes, data.test.labels), dataset: data.name, incomplete };
};
