import { expect } from 'chai';
import { deepConvNet, deepConvNetBn, lenet5, simpleConvNet } from '../lib/models/convnets.ts';
import { deepMlp } from '../lib/models/deep-mlp.ts';
import { models } from '../lib/models/registry.ts';
import {
  countParams, fixedStd, inferenceCtx, initTrainState, key, leaves, normal, sgd, softmaxCrossEntropy,
  trainStep, type Tensor, type TreeRecord,
} from '../lib/index.ts';

const shapes = (params: TreeRecord): Record<string, readonly number[]> =>
  Object.fromEntries(leaves(params).map(([p, t]) => [p, t.shape]));

describe('model zoo', () => {
  it('simpleConvNet has the book ch. 7 shapes (conv 30@5×5 → 4320 → 100 → 10)', () => {
    const { params, outputShape } = simpleConvNet().init(key(0), [1, 28, 28]);
    expect(outputShape).to.deep.equal([10]);
    expect(shapes(params)).to.deep.equal({
      'affine1/W': [4320, 100], 'affine1/b': [100], 'affine2/W': [100, 10], 'affine2/b': [10],
      'conv1/W': [30, 1, 5, 5], 'conv1/b': [30],
    });
  });

  it('deepConvNet has the book ch. 8 shapes (conv4 pad 2, affine from 1024 inputs)', () => {
    const net = deepConvNet();
    const { params, state, outputShape } = net.init(key(0), [1, 28, 28]);
    expect(outputShape).to.deep.equal([10]);
    expect(state).to.deep.equal({});
    const s = shapes(params);
    expect(s['conv1/W']).to.deep.equal([16, 1, 3, 3]);
    expect(s['conv2/W']).to.deep.equal([16, 16, 3, 3]);
    expect(s['conv3/W']).to.deep.equal([32, 16, 3, 3]);
    expect(s['conv4/W']).to.deep.equal([32, 32, 3, 3]);
    expect(s['conv5/W']).to.deep.equal([64, 32, 3, 3]);
    expect(s['conv6/W']).to.deep.equal([64, 64, 3, 3]);
    expect(s['affine1/W']).to.deep.equal([1024, 50]);
    expect(s['affine2/W']).to.deep.equal([50, 10]);
    expect(Object.keys(s)).to.have.length(16);
  });

  it('lenet5 has 6@28×28 → 16@10×10 → 120 → 84 → 10', () => {
    const { params, outputShape } = lenet5().init(key(0), [1, 28, 28]);
    expect(outputShape).to.deep.equal([10]);
    const s = shapes(params);
    expect(s['conv1/W']).to.deep.equal([6, 1, 5, 5]);
    expect(s['conv2/W']).to.deep.equal([16, 6, 5, 5]);
    expect(s['affine1/W']).to.deep.equal([400, 120]);
    expect(s['affine2/W']).to.deep.equal([120, 84]);
    expect(s['affine3/W']).to.deep.equal([84, 10]);
    expect(countParams(params)).to.equal(156 + 2416 + 48120 + 10164 + 850);
  });

  it('conv nets produce [N, 10] logits for NCHW images', () => {
    for (const net of [simpleConvNet(), deepConvNet(), deepConvNetBn(), lenet5()]) {
      const { params, state } = net.init(key(1), [1, 28, 28]);
      const y = net.forward(params, normal(key(2), [2, 1, 28, 28]), inferenceCtx(key(0), state)).y;
      expect(y.shape).to.deep.equal([2, 10]);
      expect(Array.from(y.data).every(Number.isFinite)).to.equal(true);
    }
  });

  it('deepConvNetBn puts per-channel batch norm after each conv, keeps running stats as state, and has no dropout on the logits', () => {
    const net = deepConvNetBn();
    const { params, state } = net.init(key(0), [1, 28, 28]);
    const s = shapes(params);
    expect(s['conv4/W']).to.deep.equal([32, 32, 3, 3]);
    expect(s['batchnorm4/gamma']).to.deep.equal([32]);
    expect(s['affine1/W']).to.deep.equal([1024, 128]);
    expect(shapes(deepConvNetBn({ hidden: 64 }).init(key(0), [1, 28, 28]).params)['affine1/W']).to.deep.equal([1024, 64]);
    expect(Object.keys(state).filter((k) => k.startsWith('batchnorm'))).to.have.length(6);
    expect(Object.keys(params).at(-1)).to.equal('affine2');
    expect(Object.keys(params)).to.not.include('dropout2');
    const model = { net, loss: softmaxCrossEntropy };
    const opt = sgd(0.05);
    let ts = initTrainState(model, opt, key(1), [1, 28, 28]);
    const batch = { x: normal(key(2), [8, 1, 28, 28]), labels: Int32Array.from({ length: 8 }, (_, i) => i % 10) };
    const step = trainStep(model, opt);
    const first = step(ts, batch);
    ts = first.state;
    for (let i = 0; i < 15; i++) ts = step(ts, batch).state;
    expect(step(ts, batch).loss).to.be.below(first.loss);
    expect(leaves(ts.state).some(([, t]) => Array.from(t.data).some((v) => v !== 0 && v !== 1))).to.equal(true);
  });

  it('deepMlp names batch norm and dropout children and keeps running stats as state', () => {
    const net = deepMlp({ hidden: [20, 10], batchNorm: true, dropout: 0.5 });
    const { params, state, outputShape } = net.init(key(0), [784]);
    expect(outputShape).to.deep.equal([10]);
    expect(Object.keys(params)).to.deep.equal(['affine1', 'batchnorm1', 'affine2', 'batchnorm2', 'affine3']);
    expect(Object.keys(state)).to.deep.equal(['batchnorm1', 'batchnorm2']);
    expect(((state.batchnorm1 as TreeRecord).mean as Tensor).shape).to.deep.equal([20]);
    expect(Object.keys(deepMlp({ hidden: [5] }).init(key(0), [3]).params)).to.deep.equal(['affine1', 'affine2']);
  });

  it('the registry builds every model for its input layout', () => {
    for (const [name, entry] of Object.entries(models)) {
      const net = entry.build({ hidden: [30], classes: 10 });
      const inputShape = entry.flatInput ? [784] : [1, 28, 28];
      expect(net.init(key(0), inputShape).outputShape, name).to.deep.equal([10]);
    }
    expect(models['simple-convnet'].flatInput).to.equal(false);
    expect(models['deep-convnet'].flatInput).to.equal(false);
    expect(models['mlp-bn'].flatInput).to.equal(true);
    const std = models['simple-convnet'].build({ hidden: [50], classes: 10, init: fixedStd(0.01) });
    const w = (std.init(key(0), [1, 28, 28]).params.conv1 as TreeRecord).W as Tensor;
    expect(Math.max(...Array.from(w.data).map(Math.abs))).to.be.below(0.06);
  });

  it('training steps lower the loss of an MLP with batch norm (state threaded) and of a small conv net', () => {
    const model = { net: models['mlp-bn'].build({ hidden: [16], classes: 3 }), loss: softmaxCrossEntropy };
    const conv = { net: simpleConvNet({ filters: 4, hidden: 8, classes: 3 }), loss: softmaxCrossEntropy };
    for (const [m, shape] of [[model, [12]], [conv, [1, 10, 10]]] as const) {
      const optimizer = sgd(0.1);
      let ts = initTrainState(m, optimizer, key(5), shape);
      const batch = { x: normal(key(6), [12, ...shape]), labels: Int32Array.from({ length: 12 }, (_, i) => i % 3) };
      const step = trainStep(m, optimizer);
      const first = step(ts, batch).loss;
      let last = first;
      for (let i = 0; i < 20; i++) { const r = step(ts, batch); ts = r.state; last = r.loss; }
      expect(last).to.be.below(first * 0.7);
      expect(Object.keys(ts.state)).to.deep.equal(m === model ? ['batchnorm1'] : []);
    }
  });
});
