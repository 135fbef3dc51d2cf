/**
 * A member's outcome read back from its checkpoint directory: how the coordinator learns what a
 * worker on another host trained (Redis carries only that the job finished).
 */
import { join } from 'node:path';
import { augmentationFor } from '../augment/presets.ts';
import { ttaPredict } from '../augment/tta.ts';
import { toFloatDataset } from '../data/dataset.ts';
import { loadDataset } from '../data/datasets.ts';
import type { EnsembleManifest } from '../ensemble/manifest.ts';
import type { MemberOutcome } from '../ensemble/member-task.ts';
import { modelOf } from '../jobs/job.ts';
import { models } from '../models/registry.ts';
import { argmax } from '../ops/reduce.ts';
import { sgd } from '../optim/optimizers.ts';
import { foldIn, key } from '../random.ts';
import type { Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { findResumable } from '../train/checkpoint.ts';
import { initTrainState } from '../train/fit.ts';
import { accuracyOf, predictProbabilities } from '../train/model.ts';

/** What the worker said about its run of the member (absent when the member was found finished on disk). */
export interface MemberRun { readonly seconds: number; readonly resumed: boolean }

/**
 * Member `index` of the ensemble in `out`, predicted from its newest checkpoint that verifies,
 * exactly as `runMember` predicts it (same TTA key); undefined while it holds no checkpoint of
 * the finished member (none yet, or one short of the last epoch, or one from another seed).
 */
export const memberOutcomeFromCheckpoint = (
  out: string, manifest: EnsembleManifest, index: number, tta: number, run?: MemberRun,
): MemberOutcome | undefined => {
  const started = performance.now();
  const m = manifest.members[index];
  const data = loadDataset(m.config.dataset, models[m.config.model].flatInput);
  const model = modelOf(m.config, data.classes);
  // the fresh state gives the tree shapes to expect and this member's run key
  const fresh = initTrainState(model, sgd(0.1), foldIn(key(manifest.seed), index), data.inputShape);
  const found = findResumable(join(out, m.dir), { expect: { params: fresh.params, state: fresh.state } });
  if (found === undefined) return undefined;
  const c = found.checkpoint;
  if (c.epoch < m.config.epochs || (c.epochStep ?? 0) > 0 || c.key[0] !== fresh.key[0] || c.key[1] !== fresh.key[1]) return undefined;
  const vars = { params: c.params, state: c.state };
  const predict = (x: Tensor): Tensor => predictProbabilities(model.net, vars, x);
  const augment = tta > 1 ? augmentationFor(m.config.dataset, ['default']) : undefined;
  const probs = augment === undefined
    ? predictProbabilities(model.net, vars, data.test)
    : ttaPredict(foldIn(key(manifest.seed), 1_000_000 + index), toFloatDataset(data.test).x, augment, tta, predict);
  return {
    index,
    testAccuracy: accuracyOf(argmax(probs, 1), data.test.labels),
    seconds: run?.seconds ?? (performance.now() - started) / 1000,
    resumed: run?.resumed ?? true,
    history: c.history,
    probabilities: Float32Array.from(unsafeMutableData(probs)),
    classes: probs.shape[1],
  };
};
