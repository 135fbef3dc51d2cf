import { expect } from 'chai';
import { conv2d } from '../lib/layers/conv.ts';
import { batchNorm } from '../lib/layers/batchnorm.ts';
import { dropout } from '../lib/layers/dropout.ts';
import { residual } from '../lib/layers/residual.ts';
import {
  affine, gradientCheck, inferenceCtx, key, normal, ones, reluLayer, sequential, tanhLayer, trainCtx,
  type Layer, type Tensor, type TreeRecord,
} from '../lib/index.ts';

const TOL = 1e-6;

describe('dropout', () => {
  it('gradient check in float64 (one fixed key, so one fixed mask)', () => {
    const net = sequential(affine(8), dropout(0.3), tanhLayer(), affine(3));
    const r = gradientCheck(net, { inputShape: [5], batch: 3, seed: 4 });
    for (const [path, err] of Object.entries(r.errors)) expect(err, path).to.be.below(TOL);
  });

  it('inverted dropout: zeros or x/(1−rate) at training, keeping the expectation', () => {
    const rate = 0.25;
    const layer = dropout(rate);
    const x = ones([200, 100]);
    const { y, cache } = layer.forward({}, x, trainCtx(key(7)));
    let kept = 0; let total = 0;
    for (const v of y.data) {
      expect(v === 0 || Math.abs(v - 1 / (1 - rate)) < 1e-6, `value ${v}`).to.equal(true);
      if (v !== 0) kept++;
      total += v;
    }
    expect(kept / y.size).to.be.closeTo(1 - rate, 0.01);
    expect(total / y.size).to.be.closeTo(1, 0.015);
    // backward routes the gradient through the same mask and scale
    const { dx } = layer.backward({}, cache, ones([200, 100]));
    expect(Array.from(dx.data)).to.deep.equal(Array.from(y.data));
  });

  it('the mask depends only on the key', () => {
    const layer = dropout(0.5);
    const x = normal(key(0), [4, 10]);
    const a = layer.forward({}, x, trainCtx(key(1))).y;
    const b = layer.forward({}, x, trainCtx(key(1))).y;
    const c = layer.forward({}, x, trainCtx(key(2))).y;
    expect(Array.from(a.data)).to.deep.equal(Array.from(b.data));
    expect(Array.from(a.data)).to.not.deep.equal(Array.from(c.data));
  });

  it('is the identity at inference (and for rate 0)', () => {
    const x = normal(key(0), [4, 10]);
    const r = dropout(0.5).forward({}, x, inferenceCtx(key(1)));
    expect(r.y).to.equal(x);
    expect(dropout(0.5).backward({}, r.cache, x).dx).to.equal(x);
    expect(dropout(0).forward({}, x, trainCtx(key(1))).y).to.equal(x);
  });

  it('refuses a rate outside [0, 1)', () => {
    expect(() => dropout(1)).to.throw(/dropout: rate must be in \[0, 1\), got 1/);
    expect(() => dropout(-0.1)).to.throw(/dropout: rate must be in \[0, 1\)/);
  });
});

describe('residual', () => {
  const block = (channels: number, stride: number): Layer =>
    sequential(conv2d(channels, 3, 3, { pad: 1, stride }), reluLayer(), conv2d(channels, 3, 3, { pad: 1 }));

  describe('gradient check in float64', () => {
    const cases: readonly [string, Layer, readonly number[]][] = [
      ['identity shortcut (conv block keeps the shape)', residual(block(2, 1)), [2, 4, 4]],
      ['projection: more channels and stride 2', residual(block(4, 2)), [2, 5, 5]],
      ['forced projection with equal shapes', residual(block(3, 1), { projection: true }), [3, 4, 3]],
      ['dense block with affine projection', residual(sequential(affine(4), tanhLayer(), affine(6))), [5]],
      ['stacked blocks with batch norm and state', sequential(residual(sequential(conv2d(2, 3, 3, { pad: 1 }), batchNorm())), reluLayer(), residual(block(3, 2))), [2, 4, 4]],
    ];
    for (const [name, layer, shape] of cases) {
      it(`${name}: backward matches central differences`, () => {
        const r = gradientCheck(layer, { inputShape: shape, batch: 2, seed: 13 });
        // the conv bias right before batch norm has a true gradient of 0 (see batchnorm.spec.ts)
        const zeroGradient = 'residual1/f/conv1/b';
        for (const [path, err] of Object.entries(r.errors)) if (path !== zeroGradient) expect(err, path).to.be.below(TOL);
      });
    }
  });

  it('computes x + f(x) with params { f } and no projection when shapes agree', () => {
    const layer = residual(block(2, 1));
    const init = layer.init(key(0), [2, 4, 4]);
    expect(Object.keys(init.params)).to.deep.equal(['f']);
    expect(init.outputShape).to.deep.equal([2, 4, 4]);
    const x = normal(key(1), [3, 2, 4, 4]);
    const fx = block(2, 1).forward(init.params.f as TreeRecord, x, inferenceCtx(key(0))).y;
    const y = layer.forward(init.params, x, inferenceCtx(key(0))).y;
    for (let i = 0; i < y.size; i++) expect(y.data[i]).to.be.closeTo(x.data[i] + fx.data[i], 1e-6);
  });

  it('projects with a strided 1×1 convolution when f changes channels and size', () => {
    const init = residual(block(8, 2)).init(key(0), [3, 7, 7]);
    expect(init.outputShape).to.deep.equal([8, 4, 4]);
    const proj = init.params.proj as TreeRecord;
    expect((proj.W as Tensor).shape).to.deep.equal([8, 3, 1, 1]);
    expect((proj.b as Tensor).shape).to.deep.equal([8]);
  });

  it('threads the state of f (batch-norm statistics) under "f"', () => {
    const layer = residual(sequential(['bn', batchNorm()]));
    const init = layer.init(key(0), [3]);
    expect(Object.keys(init.state)).to.deep.equal(['f']);
    const r = layer.forward(init.params, normal(key(1), [4, 3], 2, 1), trainCtx(key(2), init.state));
    const mean = ((r.state.f as TreeRecord).bn as TreeRecord).mean as Tensor;
    expect(mean.data[0]).to.not.equal(0);
  });

  it('refuses shapes it cannot reconcile, naming them', () => {
    expect(() => residual(block(4, 2), { projection: false }).init(key(0), [2, 5, 5]))
      .to.throw(/residual: f maps \[2,5,5\] to \[4,3,3\] but projection is off/);
    expect(() => residual(sequential(conv2d(2, 3, 3), { ...affine(3), name: 'x' } as unknown as Layer)).init(key(0), [2, 5, 5]))
      .to.throw(/residual: no 1×1 projection maps input \[2,5,5\] to f's output \[3\]/);
  });
});
