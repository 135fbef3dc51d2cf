import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { key } from '../lib/random.ts';
import { runJob, type JobConfig } from '../lib/jobs/job.ts';
import { loadCheckpointedModel } from '../lib/jobs/restore.ts';
import { paramsSha256 } from '../lib/train/hash.ts';

describe('training jobs: checkpoints and resume on MNIST (tiny MLP)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'tenfold-job-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config: JobConfig = {
    model: 'mlp', hidden: [16], optimizer: 'adam', lr: 0.002, schedule: 'constant', batchSize: 200, epochs: 1,
    weightDecay: 0, dataset: 'mnist', augment: ['crop'], trainEvalLimit: 2000,
  };

  it('an interrupted run resumed from its checkpoint ends with the weights of an uninterrupted run', async () => {
    const first = await runJob(config, key(4), { checkpointDir: join(dir, 'a') });
    expect(first.resumed).to.equal(false);
    expect(first.history.epochs[0].testAccuracy).to.be.above(0.8);
    const resumed = await runJob({ ...config, epochs: 2 }, key(4), { checkpointDir: join(dir, 'a'), resume: true });
    const straight = await runJob({ ...config, epochs: 2 }, key(4));
    expect(resumed.resumed).to.equal(true);
    expect(resumed.history.epochs).to.have.length(2);
    expect(paramsSha256(resumed.trainState.params)).to.equal(paramsSha256(straight.trainState.params));
  });

  const rejection = async (p: Promise<unknown>): Promise<Error> => {
    try { await p; } catch (err) { return err as Error; }
    throw new Error('expected a rejection');
  };

  it('never starts over a checkpoint it was not told to resume', async () => {
    expect((await rejection(runJob(config, key(4), { checkpointDir: join(dir, 'a') }))).message)
      .to.match(/already holds checkpoints \(ckpt-.*\): pass --resume/);
  });

  it('refuses to resume a different run, naming the setting that differs', async () => {
    expect((await rejection(runJob({ ...config, epochs: 2, lr: 0.1 }, key(4), { checkpointDir: join(dir, 'a'), resume: true }))).message)
      .to.match(/cannot resume a different run: lr is 0.002 in the checkpoint but 0.1 now/);
    expect((await rejection(runJob({ ...config, epochs: 2 }, key(5), { checkpointDir: join(dir, 'a'), resume: true }))).message)
      .to.match(/cannot resume a different run: the checkpoint was trained from another seed/);
  });

  it('rebuilds the trained network from a checkpoint alone', () => {
    const { config: saved, variables } = loadCheckpointedModel(join(dir, 'a'));
    expect(saved.model).to.equal('mlp');
    expect(saved.epochs).to.equal(2);
    expect(Object.keys(variables.params)).to.deep.equal(['affine1', 'affine2']);
  });
});
