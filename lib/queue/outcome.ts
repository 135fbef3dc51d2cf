/**
 * A member's outcome read back from its checkpoint directory: how the coordinator learns what a
 * worker on another host trained (Redis carries only that the job finished).
 */
import { join } from 'node:path';
import { loadDataset } from '../data/datasets.ts';
import type { EnsembleManifest } from '../ensemble/manifest.ts';
import type { MemberOutcome } from '../ensemble/member-task.ts';
import { memberTestPredictions } from '../ensemble/test-predictions.ts';
import { modelOf } from '../jobs/job.ts';
import { models } from '../models/registry.ts';
import { sgd } from '../optim/optimizers.ts';
import { foldIn, key } from '../random.ts';
import { findResumable } from '../train/checkpoint.ts';
import { initTrainState } from '../train/fit.ts';

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
  const predictions = memberTestPredictions(model.net, { params: c.params, state: c.state }, m.config.dataset, data.test, manifest.seed, index, tta);
  return {
    index, seconds: run?.seconds ?? (performance.now() - started) / 1000, resumed: run?.resumed ?? true, history: c.history, ...predictions,
  };
};
