import { expect } from 'chai';
import {
  affine, dataset, evaluateAccuracy, fit, initTrainState, key, normal, paramsSha256, reluLayer, sequential, sgd,
  softmaxCrossEntropy, DivergenceError, wrap, epochBatches, fitAsync,
} from '../lib/index.ts';
import { byteDataset, headOfDataset, sliceDataset, toFloatDataset } from '../lib/index.ts';

/** Two Gaussian blobs per class in 4-D, 3 classes: learnable by a small MLP. */
const blobs = (seed: number, n: number) => {
  const noise = normal(key(seed), [n, 4], 0, 0.3);
  const x = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j === c ? 1.5 : 0) + noise.data[i * 4 + j];
  }
  return dataset(wrap(x, [n, 4]), labels);
};

describe('training as a fold', () => {
  const model = { net: sequential(affine(16), reluLayer(), affine(3)), loss: softmaxCrossEntropy };
  const train = blobs(1, 600);
  const test = blobs(2, 300);

  it('learns, and records loss per step and accuracy per epoch', () => {
    const opt = sgd(0.2);
    const { state, history } = fit(model, opt, initTrainState(model, opt, key(3), [4]), { train, test, epochs: 3, batchSize: 30 });
    expect(history.loss).to.have.length(60);
    expect(history.epochs.map((e) => e.epoch)).to.deep.equal([1, 2, 3]);
    expect(history.loss[59]).to.be.below(history.loss[0]);
    expect(evaluateAccuracy(model.net, state, test)).to.be.above(0.9);
    expect(state.step).to.equal(60);
  });

  it('is reproducible bit for bit from the seed, and differs across seeds', () => {
    const run = (seed: number) => {
      const opt = sgd(0.2);
      return paramsSha256(fit(model, opt, initTrainState(model, opt, key(seed), [4]), { train, epochs: 2, batchSize: 32 }).state.params);
    };
    expect(run(5)).to.equal(run(5));
    expect(run(5)).to.not.equal(run(6));
  });

  it('resumes from an epoch boundary to the same parameters as an uninterrupted run', () => {
    const opt = sgd(0.2);
    const init = initTrainState(model, opt, key(9), [4]);
    const straight = fit(model, opt, init, { train, epochs: 3, batchSize: 32 });
    const first = fit(model, opt, init, { train, epochs: 1, batchSize: 32 });
    const resumed = fit(model, opt, first.state, { train, epochs: 3, batchSize: 32 }, first.history);
    expect(paramsSha256(resumed.state.params)).to.equal(paramsSha256(straight.state.params));
    expect(resumed.history.loss).to.deep.equal(straight.history.loss);
  });

  it('resumes a run stopped after the last step of an epoch, before the epoch closed', async () => {
    const opt = sgd(0.2);
    const init = initTrainState(model, opt, key(9), [4]);
    const options = { train, epochs: 2, batchSize: 32 };
    const straight = fit(model, opt, init, options);
    const controller = new AbortController();
    const stopped = await fitAsync(model, opt, init, {
      ...options, signal: controller.signal,
      onStep: (s) => { if (s.epoch === 0 && s.stepInEpoch === s.stepsPerEpoch) controller.abort(); },
    });
    expect(stopped.stopped).to.equal(true);
    expect(stopped.state.epoch).to.equal(0);
    expect(stopped.state.epochStep).to.be.above(0);
    const resumed = fit(model, opt, stopped.state, options, stopped.history);
    expect(paramsSha256(resumed.state.params)).to.equal(paramsSha256(straight.state.params));
    expect(resumed.history.loss).to.deep.equal(straight.history.loss);
    expect(resumed.history.epochs.map((e) => e.meanLoss)).to.deep.equal(straight.history.epochs.map((e) => e.meanLoss));
  });

  it('stops with a clear error when the loss stops being finite', () => {
    const opt = sgd(1e30);
    expect(() => fit(model, opt, initTrainState(model, opt, key(1), [4]), { train, epochs: 2, batchSize: 30 }))
      .to.throw(DivergenceError, /diverged at step \d+ .*loss is (NaN|Infinity)/);
  });

  it('visits every example exactly once per epoch', () => {
    const seen = new Int32Array(600);
    const indexed = dataset(wrap(Float32Array.from({ length: 600 }, (_, i) => i), [600, 1]), new Int32Array(600));
    for (const b of epochBatches(indexed, 64, key(4))) for (const v of b.x.data) seen[v]++;
    expect(Array.from(seen).every((c) => c === 1)).to.equal(true);
  });

  describe('byte datasets', () => {
    const bytes = Uint8Array.from({ length: 50 * 6 }, (_, i) => (i * 37) % 256);
    const table = Float32Array.from({ length: 256 }, (_, i) => i / 255);
    const labels = Int32Array.from({ length: 50 }, (_, i) => i % 7);
    const asBytes = byteDataset(bytes, [50, 2, 3], table, labels);
    const asFloats = dataset(wrap(Float32Array.from(bytes, (b) => table[b]), [50, 2, 3]), labels);

    it('draws the same batches, with the same values, as the float dataset', () => {
      const a = [...epochBatches(asBytes, 16, key(7))];
      const b = [...epochBatches(asFloats, 16, key(7))];
      expect(a.map((d) => d.x.shape)).to.deep.equal(b.map((d) => d.x.shape));
      a.forEach((d, i) => {
        expect(Array.from(d.x.data)).to.deep.equal(Array.from(b[i].x.data));
        expect(Array.from(d.labels)).to.deep.equal(Array.from(b[i].labels));
      });
      expect(Array.from(toFloatDataset(asBytes).x.data)).to.deep.equal(Array.from(asFloats.x.data));
    });

    it('takes the first n examples as a view of the same kind', () => {
      const head = headOfDataset(asBytes, 7);
      expect('bytes' in head && head.bytes.buffer === bytes.buffer).to.equal(true);
      expect(Array.from(toFloatDataset(head).x.data)).to.deep.equal(Array.from(asFloats.x.data.slice(0, 42)));
      expect(Array.from(head.labels)).to.deep.equal(Array.from(labels.subarray(0, 7)));
      expect(headOfDataset(asFloats, 99).labels.length).to.equal(50);
    });

    it('refuses sizes that do not agree, and ranges outside the set', () => {
      expect(() => byteDataset(bytes, [50, 2, 2], table, labels)).to.throw(/300 bytes and 50 labels for shape \[50, 2, 2\]|300 bytes and 50 labels for shape/);
      expect(() => byteDataset(bytes, [50, 2, 3], table.subarray(0, 255), labels)).to.throw(/255 entries, expected 256/);
      expect(() => sliceDataset(asBytes, 40, 51)).to.throw(/\[40, 51\) is outside the 50 examples/);
    });
  });
});
