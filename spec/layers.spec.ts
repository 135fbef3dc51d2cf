import { expect } from 'chai';
import {
  affine, fixedStd, gradientCheck, key, normal, reluLayer, sequential, sigmoidLayer, softmaxCrossEntropy,
  tanhLayer, toNested, tensor, type Layer, type TreeRecord, trainCtx, numericalGradient, cast, mapTree,
  inferenceCtx,
} from '../lib/index.ts';

const TOL = 1e-6;

describe('layers: gradient check in float64', () => {
  const cases: readonly [string, Layer, readonly number[]][] = [
    ['affine on flat input', affine(5) as unknown as Layer, [7]],
    ['affine flattening N-D input', affine(4) as unknown as Layer, [2, 3, 2]],
    ['relu', reluLayer() as unknown as Layer, [6]],
    ['sigmoid', sigmoidLayer() as unknown as Layer, [6]],
    ['tanh', tanhLayer() as unknown as Layer, [3, 2]],
    ['sequential MLP', sequential(affine(8), reluLayer(), affine(6), tanhLayer(), affine(3), sigmoidLayer()), [5]],
  ];
  for (const [name, layer, shape] of cases) {
    it(`${name}: backward matches central differences`, () => {
      const r = gradientCheck(layer, { inputShape: shape, batch: 3, seed: 7 });
      for (const [path, err] of Object.entries(r.errors)) expect(err, path).to.be.below(TOL);
    });
  }

  it('a composed network with softmax cross-entropy has exact parameter gradients', () => {
    const net = sequential(affine(6), reluLayer(), affine(4));
    const init = net.init(key(1), [5]);
    const params = mapTree(init.params, (t) => cast(t, 'float64'));
    const x = normal(key(2), [3, 5], 0, 1, 'float64');
    const labels = [0, 3, 1];
    const ctx = trainCtx(key(3));
    const lossOf = (p: TreeRecord): number => softmaxCrossEntropy(net.forward(p, x, ctx).y, labels).value;
    const fwd = net.forward(params, x, ctx);
    const { grads } = net.backward(params, fwd.cache, softmaxCrossEntropy(fwd.y, labels).dy);
    const w = (params.affine1 as TreeRecord).W as ReturnType<typeof tensor>;
    const numeric = numericalGradient((ww) => lossOf({ ...params, affine1: { ...(params.affine1 as TreeRecord), W: ww } }), w);
    const analytic = (grads.affine1 as TreeRecord).W as ReturnType<typeof tensor>;
    for (let i = 0; i < numeric.size; i++) expect(analytic.data[i]).to.be.closeTo(numeric.data[i], 1e-7);
  });
});

describe('layers: behaviour', () => {
  it('affine computes x·W + b with the given initialiser and shape', () => {
    const layer = affine(2, { init: fixedStd(0.01) });
    const { params, outputShape } = layer.init(key(0), [3]);
    expect(outputShape).to.deep.equal([2]);
    expect(params.W.shape).to.deep.equal([3, 2]);
    expect(Array.from(params.b.data)).to.deep.equal([0, 0]);
    const W = tensor([[1, 2], [3, 4], [5, 6]]);
    const y = layer.forward({ W, b: tensor([1, -1]) }, tensor([[1, 1, 1]]), inferenceCtx(key(0))).y;
    expect(toNested(y)).to.deep.equal([[10, 11]]);
  });

  it('sequential names layers like the book and checks shapes at init', () => {
    const net = sequential(affine(4), reluLayer(), affine(2));
    const { params, outputShape } = net.init(key(0), [3]);
    expect(Object.keys(params)).to.deep.equal(['affine1', 'affine2']);
    expect(outputShape).to.deep.equal([2]);
    const bad = sequential(affine(4), ['oops', { ...affine(2), init: () => { throw new Error('needs 5 inputs'); } }]);
    expect(() => bad.init(key(0), [3])).to.throw(/layer 2 "oops" cannot take input shape \[4\]: needs 5 inputs/);
  });

  it('affine refuses an input that does not match W', () => {
    const layer = affine(2);
    const { params } = layer.init(key(0), [3]);
    expect(() => layer.forward(params, normal(key(1), [2, 4]), inferenceCtx(key(0)))).to.throw(/affine: input \[2,4\] does not flatten to \[2,3\]/);
  });

  it('softmax cross-entropy accepts labels or one-hot targets', () => {
    const logits = tensor([[2, 1, 0.1], [0.5, 2.5, 0.3]]);
    const a = softmaxCrossEntropy(logits, [0, 1]);
    const b = softmaxCrossEntropy(logits, tensor([[1, 0, 0], [0, 1, 0]]));
    expect(a.value).to.be.closeTo(b.value, 1e-6);
    expect(Array.from(a.dy.data)).to.deep.equal(Array.from(b.dy.data));
    expect(() => softmaxCrossEntropy(logits, [0, 3])).to.throw(/label 3 is outside 0..2/);
  });
});
