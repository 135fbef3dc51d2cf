/** Stochastic weight averaging: the running average, batch-norm statistics recomputed, and a resumed run averaging the same bits. */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import './helpers/quadrants-dataset.ts';
import { runJob, type JobConfig } from '../lib/jobs/job.ts';
import { affine } from '../lib/layers/affine.ts';
import { batchNorm } from '../lib/layers/batchnorm.ts';
import { sequential } from '../lib/layers/sequential.ts';
import { reluLayer } from '../lib/layers/activations.ts';
import { sgd } from '../lib/optim/optimizers.ts';
import { key, normal } from '../lib/random.ts';
import { dataset } from '../lib/data/dataset.ts';
import { loadCheckpoint } from '../lib/train/checkpoint.ts';
import { fit, initTrainState } from '../lib/train/fit.ts';
import { paramsSha256 } from '../lib/train/hash.ts';
import { isSwaOptState, recomputeBatchNormStats, swaAverage, withSwa } from '../lib/train/swa.ts';
import { softmaxCrossEntropy } from '../lib/losses.ts';
import { leaves, type TreeRecord } from '../lib/tree.ts';
import { wrap, type Tensor } from '../lib/tensor.ts';

const blobs = (n: number) => {
  const noise = normal(key(3), [n, 4], 0, 0.5);
  const x = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j === i % 3 ? 2 : 0) + noise.data[i * 4 + j];
  }
  return dataset(wrap(x, [n, 4]), labels);
};

/** The float64 mean of parameter trees, leaf by leaf, computed here without swa.ts. */
const meanOf = (trees: readonly TreeRecord[]): ReadonlyMap<string, Float64Array> => {
  const out = new Map<string, Float64Array>();
  for (const t of trees) {
    for (const [path, leaf] of leaves(t)) {
      const acc = out.get(path) ?? new Float64Array(leaf.size);
      for (let i = 0; i < leaf.size; i++) acc[i] += leaf.data[i] / trees.length;
      out.set(path, acc);
    }
  }
  return out;
};

const expectClose = (got: TreeRecord, want: ReadonlyMap<string, Float64Array>, tolerance: number): void => {
  const g = leaves(got);
  expect(g.map(([p]) => p)).to.deep.equal([...want.keys()].sort());
  for (const [path, t] of g) {
    const w = want.get(path) as Float64Array;
    for (let i = 0; i < t.size; i++) expect(t.data[i], `${path}[${i}]`).to.be.closeTo(w[i], tolerance * Math.max(1, Math.abs(w[i])));
  }
};

describe('stochastic weight averaging', function () {
  this.timeout(60_000);
  const model = { net: sequential(affine(8), reluLayer(), affine(3)), loss: softmaxCrossEntropy };
  const train = blobs(60);

  it('the average of constant parameters is the parameters, bit for bit', () => {
    const opt = withSwa(sgd(0), { startStep: 1, everySteps: 2 });
    const start = initTrainState(model, opt, key(1), [4]);
    const r = fit(model, opt, start, { train, epochs: 2, batchSize: 10 });
    expect(isSwaOptState(r.state.optState)).to.equal(true);
    const avg = swaAverage(r.state.optState as Parameters<typeof swaAverage>[0], r.state.params);
    expect(avg?.count).to.equal(6);
    expect(paramsSha256(avg?.params ?? {})).to.equal(paramsSha256(start.params));
  });

  it('averages the parameters at the epoch ends of the window: the mean of those epoch-end parameters', () => {
    const spe = 6;
    // epochs 3..5 of 5: the window starts after epoch 2's last step
    const opt = withSwa(sgd(0.2), { startStep: 2 * spe + 1, everySteps: spe });
    const ends: TreeRecord[] = [];
    const r = fit(model, opt, initTrainState(model, opt, key(2), [4]), {
      train, epochs: 5, batchSize: 10, onEpoch: (s) => { if (s.epoch >= 3) ends.push(s.params); },
    });
    const avg = swaAverage(r.state.optState as Parameters<typeof swaAverage>[0], r.state.params);
    expect(avg?.count).to.equal(3);
    expect(paramsSha256(ends[0])).to.not.equal(paramsSha256(ends[2]));
    expectClose(avg?.params ?? {}, meanOf(ends), 1e-6);
  });

  it('recomputed batch-norm statistics are the mean and variance of the activations over the data', () => {
    const net = sequential(affine(3), batchNorm());
    const init = net.init(key(5), [4]);
    const x = normal(key(6), [60, 4], 1, 2);
    const data = dataset(x, new Int32Array(60));
    // the activations entering batch norm, computed here: x·W + b
    const { W, b } = (init.params.affine1 as { readonly W: Tensor; readonly b: Tensor });
    const h = (i: number, c: number): number => { let s = b.data[c]; for (let k = 0; k < 4; k++) s += x.data[i * 4 + k] * W.data[k * 3 + c]; return s; };
    const moments = (from: number, to: number, c: number): readonly [number, number] => {
      let m = 0;
      for (let i = from; i < to; i++) m += h(i, c) / (to - from);
      let v = 0;
      for (let i = from; i < to; i++) v += (h(i, c) - m) ** 2 / (to - from);
      return [m, v];
    };
    const stats = (s: TreeRecord) => s.batchnorm1 as { readonly mean: Tensor; readonly variance: Tensor };
    // one batch of all the data: the data's mean and (biased) variance
    const whole = stats(recomputeBatchNormStats(net, init.params, init.state, data, 60));
    // three batches of 20: the data's mean, and the mean of the three within-batch variances
    const thirds = stats(recomputeBatchNormStats(net, init.params, init.state, data, 20));
    for (let c = 0; c < 3; c++) {
      const [m, v] = moments(0, 60, c);
      const vb = [0, 20, 40].map((f) => moments(f, f + 20, c)[1]).reduce((a, z) => a + z, 0) / 3;
      expect(whole.mean.data[c]).to.be.closeTo(m, 1e-5 * Math.max(1, Math.abs(m)));
      expect(whole.variance.data[c]).to.be.closeTo(v, 1e-5 * v);
      expect(thirds.mean.data[c]).to.be.closeTo(m, 1e-5 * Math.max(1, Math.abs(m)));
      expect(thirds.variance.data[c]).to.be.closeTo(vb, 1e-5 * vb);
      expect(Math.abs(vb - v), 'the two variances differ, so the test tells them apart').to.be.above(1e-3);
    }
    // a statistic that never follows the batch cannot be recomputed
    const frozen = sequential(affine(3), batchNorm({ momentum: 1 }));
    const f = frozen.init(key(5), [4]);
    expect(() => recomputeBatchNormStats(frozen, f.params, f.state, data, 20)).to.throw(/state "batchnorm1\/mean" does not follow the batch/);
  });

  describe('in a job (mlp-bn on quadrants, 4 epochs, SWA of epochs 3–4)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenfold-swa-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const config: JobConfig = {
      model: 'mlp-bn', hidden: [16], optimizer: 'adam', lr: 0.01, schedule: 'constant', batchSize: 40, epochs: 4,
      weightDecay: 0, dataset: 'quadrants', augment: ['none'], validation: 80, swa: { start: 3 },
    };

    it('gives the mean of epochs 3 and 4 with recomputed statistics; a stopped and resumed run gives the same bits', async () => {
      const ends: TreeRecord[] = [];
      const straight = await runJob(config, key(9), { checkpointDir: join(dir, 'straight'), swaDir: join(dir, 'straight', 'swa') }, {
        onEpoch: (s) => { if (s.epoch >= 3) ends.push(s.params); },
      });
      const swa = straight.swa;
      if (swa === undefined) throw new Error('no SWA model');
      expect(swa.averaged).to.equal(2);
      expectClose(swa.params, meanOf(ends), 1e-6);
      expect(swa.validationAccuracy).to.be.a('number');
      // the statistics are the SWA parameters' own, not the last epoch's running ones
      expect(paramsSha256(swa.state)).to.not.equal(paramsSha256(straight.trainState.state));
      const saved = loadCheckpoint(join(dir, 'straight', 'swa'));
      expect(paramsSha256(saved.params)).to.equal(paramsSha256(swa.params));
      expect(paramsSha256(saved.state)).to.equal(paramsSha256(swa.state));

      // stopped in epoch 4 (after the first average), then resumed
      const controller = new AbortController();
      const stopped = await runJob(config, key(9), { checkpointDir: join(dir, 'resumed'), signal: controller.signal }, {
        onStep: (info) => { if (info.epoch === 3 && info.stepInEpoch === 5) controller.abort(); },
      });
      expect(stopped.interrupted).to.equal(true);
      expect(stopped.swa).to.equal(undefined);
      const resumed = await runJob(config, key(9), { checkpointDir: join(dir, 'resumed'), resume: true, swaDir: join(dir, 'resumed', 'swa') });
      expect(resumed.resumed).to.equal(true);
      expect(paramsSha256(resumed.swa?.params ?? {})).to.equal(paramsSha256(swa.params));
      expect(paramsSha256(resumed.swa?.state ?? {})).to.equal(paramsSha256(swa.state));
      expect(existsSync(join(dir, 'resumed', 'swa', 'latest.json'))).to.equal(true);
    });

    it('refuses an SWA start outside the run, naming the flag', async () => {
      const err = await runJob({ ...config, swa: { start: 5 } }, key(9)).then(() => undefined, (e: unknown) => e as Error);
      expect(err?.message).to.match(/--swa-start 5 must be an epoch from 1 to --epochs 4/);
    });
  });
});
