/** Validation splits, validation metrics per epoch, and early stopping that a resumed run decides the same way. */
import { expect } from 'chai';
import { splitValidation, stratifiedCounts } from '../lib/data/split.ts';
import { byteDataset } from '../lib/data/dataset.ts';
import {
  affine, bestEpoch, dataset, fit, initTrainState, key, normal, paramsSha256, reluLayer, sequential, sgd, softmaxCrossEntropy, stopsEarly, wrap,
  type History,
} from '../lib/index.ts';

const blobs = (seed: number, n: number) => {
  const noise = normal(key(seed), [n, 4], 0, 0.6);
  const x = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3 === 2 && i % 2 === 0 ? 0 : i % 3; // classes of unequal size
    labels[i] = c;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j === c ? 1.5 : 0) + noise.data[i * 4 + j];
  }
  return dataset(wrap(x, [n, 4]), labels);
};

describe('validation and early stopping', () => {
  const data = blobs(1, 600);

  it('splitValidation holds out a stratified, seeded subset; every example lands in exactly one part', () => {
    const { train, validation } = splitValidation(data, 60, key(7));
    expect(validation.labels.length).to.equal(60);
    expect(train.labels.length).to.equal(540);
    const share = (l: ArrayLike<number>, c: number) => Array.from(l).filter((v) => v === c).length;
    for (const c of [0, 1, 2]) expect(share(validation.labels, c)).to.equal(stratifiedCounts(data.labels, 60)[c]);
    expect(stratifiedCounts(data.labels, 60).reduce((a, b) => a + b)).to.equal(60);
    // the same key gives the same split, another key another one
    expect(Array.from(splitValidation(data, 60, key(7)).validation.x.data)).to.deep.equal(Array.from(validation.x.data));
    expect(Array.from(splitValidation(data, 60, key(8)).validation.x.data)).not.to.deep.equal(Array.from(validation.x.data));
    const all = [...train.x.data, ...validation.x.data].sort((a, b) => a - b);
    expect(all).to.deep.equal([...data.x.data].sort((a, b) => a - b));
    expect(() => splitValidation(data, 600, key(1))).to.throw(/must hold 1 to 599 of the 600 examples, got 600/);
  });

  it('splits byte datasets into byte datasets', () => {
    const bytes = Uint8Array.from({ length: 40 * 3 }, (_, i) => i % 251);
    const table = Float32Array.from({ length: 256 }, (_, i) => i);
    const d = byteDataset(bytes, [40, 3], table, Array.from({ length: 40 }, (_, i) => i % 4));
    const { train, validation } = splitValidation(d, 8, key(2));
    expect('bytes' in validation && 'bytes' in train).to.equal(true);
    expect(validation.shape).to.deep.equal([8, 3]);
    expect(stratifiedCounts(validation.labels, 8)).to.deep.equal([2, 2, 2, 2]);
  });

  const model = { net: sequential(affine(16), reluLayer(), affine(3)), loss: softmaxCrossEntropy };
  const { train, validation } = splitValidation(data, 120, key(3));

  it('records validation accuracy and loss every epoch', () => {
    const opt = sgd(0.2);
    const { history } = fit(model, opt, initTrainState(model, opt, key(3), [4]), { train, validation, epochs: 2, batchSize: 30 });
    for (const e of history.epochs) {
      expect(e.validationAccuracy).to.be.within(0.5, 1);
      expect(e.validationLoss).to.be.within(0, 2);
    }
  });

  it('early stopping ends the run `patience` epochs after the best one, and a resumed run stops the same', () => {
    const opt = sgd(2); // too high: validation loss stops improving quickly
    const options = { train, validation, epochs: 30, batchSize: 30, earlyStopping: { monitor: 'validationLoss', patience: 2 } } as const;
    const initial = initTrainState(model, opt, key(4), [4]);
    const straight = fit(model, opt, initial, options);
    const epochs = straight.history.epochs.length;
    expect(epochs).to.be.below(30);
    expect(epochs - (bestEpoch(straight.history, 'validationLoss') ?? 0)).to.equal(2);
    expect(stopsEarly(straight.history, options.earlyStopping)).to.equal(true);
    const first = fit(model, opt, initial, { ...options, epochs: epochs - 1 });
    const resumed = fit(model, opt, first.state, options, first.history);
    expect(resumed.history.epochs.length).to.equal(epochs);
    expect(paramsSha256(resumed.state.params)).to.equal(paramsSha256(straight.state.params));
  });

  it('bestEpoch: lower loss or higher accuracy wins, the first of equals, minDelta counts', () => {
    const rec = (epoch: number, validationLoss: number, validationAccuracy: number) =>
      ({ epoch, meanLoss: 1, trainAccuracy: 0, testAccuracy: null, seconds: 0, validationLoss, validationAccuracy });
    const h: History = { loss: [], epochs: [rec(1, 0.5, 0.8), rec(2, 0.4, 0.9), rec(3, 0.39, 0.9)] };
    expect(bestEpoch(h, 'validationLoss')).to.equal(3);
    expect(bestEpoch(h, 'validationLoss', 0.05)).to.equal(2);
    expect(bestEpoch(h, 'validationAccuracy')).to.equal(2);
    expect(() => fit(model, sgd(0.1), initTrainState(model, sgd(0.1), key(1), [4]), { train, epochs: 1, batchSize: 30, earlyStopping: { monitor: 'validationLoss', patience: 1 } }))
      .to.throw(/earlyStopping needs a validation set/);
  });
});
