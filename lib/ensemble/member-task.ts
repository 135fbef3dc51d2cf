/** One ensemble member as a worker-pool task: train or resume it, then predict the test set. */
import type { MessagePort } from 'node:worker_threads';
import { augmentationFor } from '../augment/presets.ts';
import { ttaPredict } from '../augment/tta.ts';
import { foldIn, key } from '../random.ts';
import { runJob, type JobConfig } from '../run/job.ts';
import type { History } from '../train/fit.ts';
import { accuracyOf, predictProbabilities } from '../train/model.ts';
import { progress } from '../train/progress.ts';
import { argmax } from '../ops/reduce.ts';
import { buffer, type Tensor } from '../tensor.ts';
import { toFloatDataset } from '../train/dataset.ts';

/** What the pool sends a worker. */
export interface MemberTask {
  readonly index: number;
  readonly members: number;
  readonly seed: number;
  readonly config: JobConfig;
  readonly checkpointDir: string;
  /** Test-time augmentation views (1: none). */
  readonly tta: number;
  readonly quiet: boolean;
  /** Progress lines go here. */
  readonly port: MessagePort;
}

/** What a worker sends back. */
export interface MemberOutcome {
  readonly index: number;
  readonly testAccuracy: number;
  readonly seconds: number;
  readonly resumed: boolean;
  readonly history: History;
  /** Test-set class probabilities, [examples × classes] row-major. */
  readonly probabilities: Float32Array;
  readonly classes: number;
}

/** Trains (or resumes) member `index`; its key is the run seed with the index folded in. */
export const runMember = (task: MemberTask): MemberOutcome => {
  const started = performance.now();
  const label = `member ${task.index + 1}/${task.members}`;
  const bar = progress({
    epochs: task.config.epochs, quiet: task.quiet, tty: false, label,
    stream: { write: (s: string) => { task.port.postMessage(s); return true; } },
  });
  const job = runJob(task.config, foldIn(key(task.seed), task.index), { checkpointDir: task.checkpointDir, resume: true }, bar);
  bar.stop();
  const { net } = job.model;
  const vars = { params: job.state.params, state: job.state.state };
  const test = job.data.test;
  const predict = (x: Tensor) => predictProbabilities(net, vars, x);
  const augment = task.tta > 1 ? augmentationFor(task.config.dataset, ['default'], test.shape.length === 2 ? [1, 28, 28] : undefined) : undefined;
  const probs = augment === undefined
    ? predictProbabilities(net, vars, test)
    : ttaPredict(foldIn(key(task.seed), 1_000_000 + task.index), toFloatDataset(test).x, augment, task.tta, predict);
  const probabilities = Float32Array.from(buffer(probs));
  return {
    index: task.index,
    testAccuracy: accuracyOf(argmax(probs, 1), job.data.test.labels),
    seconds: (performance.now() - started) / 1000,
    resumed: job.resumed,
    history: job.history,
    probabilities,
    classes: probs.shape[1],
  };
};
