import { expect } from 'chai';
import { batchNorm } from '../lib/layers/batchnorm.ts';
import { activeKernels, setKernels } from '../lib/kernels/backend.ts';
import type { Kernels } from '../lib/kernels/kernels.ts';
import { conv2d } from '../lib/layers/conv.ts';
import {
  affine, gradientCheck, inferenceCtx, key, normal, reluLayer, sequential, tensor, trainCtx, uniform,
  type Layer, type Tensor, type TreeRecord,
} from '../lib/index.ts';

const TOL = 1e-6;

/** Batch norm whose init draws non-trivial gamma, beta and running statistics, so every term is exercised. */
const randomised = (layer: Layer): Layer => ({
  ...layer,
  init: (k, shape) => {
    const r = layer.init(k, shape);
    const c = shape[0];
    return {
      ...r,
      params: { gamma: normal(key(21), [c], 1, 0.5), beta: normal(key(22), [c]) },
      state: { mean: normal(key(23), [c]), variance: uniform(key(24), [c], 0.5, 2) },
    };
  },
});

const bn = (): Layer => batchNorm() as unknown as Layer;

/** Per-channel mean and (biased) variance of NCHW or ND data. */
const stats = (x: Tensor, c: number): { mean: number[]; variance: number[] } => {
  const n = x.shape[0];
  const inner = x.size / (n * c);
  const mean: number[] = []; const variance: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const vals: number[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < inner; j++) vals.push(x.data[(i * c + ch) * inner + j]);
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    mean.push(m);
    variance.push(vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length);
  }
  return { mean, variance };
};

describe('batchNorm', () => {
  describe('gradient check in float64', () => {
    const cases: readonly [string, Layer, readonly number[], 'train' | 'inference'][] = [
      ['train, per feature [N, D]', randomised(bn()), [5], 'train'],
      ['train, per channel [N, C, H, W]', randomised(bn()), [3, 4, 2], 'train'],
      ['inference, per feature', randomised(bn()), [5], 'inference'],
      ['inference, per channel', randomised(bn()), [3, 2, 3], 'inference'],
      ['affine → BN → ReLU → affine (train)', sequential(affine(6), batchNorm(), reluLayer(), affine(3)), [4], 'train'],
      ['conv → BN → ReLU (train)', sequential(conv2d(3, 3, 3, { pad: 1 }), batchNorm(), reluLayer()), [2, 4, 4], 'train'],
      ['with a fused ReLU, per channel (train)', randomised(batchNorm({ activation: 'relu' }) as unknown as Layer), [3, 4, 2], 'train'],
      ['with a fused ReLU, per feature (inference)', randomised(batchNorm({ activation: 'relu' }) as unknown as Layer), [5], 'inference'],
    ];
    for (const [name, layer, shape, mode] of cases) {
      it(`${name}: backward matches central differences`, () => {
        const r = gradientCheck(layer, { inputShape: shape, batch: 4, seed: 9, mode });
        // a bias right before batch norm has a true gradient of 0 in training (the batch mean absorbs it),
        // so its relative error compares two rounding noises; the check below pins it to 0 instead
        for (const [path, err] of Object.entries(r.errors)) if (!/^(affine1|conv1)\/b$/.test(path)) expect(err, path).to.be.below(TOL);
      });
    }

    it('a bias before batch norm gets no gradient in training', () => {
      const net = sequential(['fc', affine(4)], ['bn', batchNorm()]);
      const init = net.init(key(1), [3]);
      const fwd = net.forward(init.params, normal(key(2), [5, 3], 0, 1), trainCtx(key(3), init.state));
      const { grads } = net.backward(init.params, fwd.cache, normal(key(4), [5, 4]));
      for (const v of ((grads.fc as TreeRecord).b as Tensor).data) expect(Math.abs(v)).to.be.below(1e-5);
    });
  });

  describe('behaviour', () => {
    it('init gives gamma = 1, beta = 0 and running mean 0, variance 1 as state', () => {
      const r = batchNorm().init(key(0), [4, 3, 3]);
      expect(r.outputShape).to.deep.equal([4, 3, 3]);
      expect(Array.from(r.params.gamma.data)).to.deep.equal([1, 1, 1, 1]);
      expect(Array.from(r.params.beta.data)).to.deep.equal([0, 0, 0, 0]);
      expect(Array.from((r.state.mean as Tensor).data)).to.deep.equal([0, 0, 0, 0]);
      expect(Array.from((r.state.variance as Tensor).data)).to.deep.equal([1, 1, 1, 1]);
    });

    for (const shape of [[3], [2, 3, 4]] as const) {
      it(`training normalises with batch statistics per ${shape.length === 1 ? 'feature' : 'channel'} and updates running stats`, () => {
        const layer = batchNorm({ momentum: 0.9 });
        const init = layer.init(key(0), shape);
        const x = normal(key(1), [8, ...shape], 3, 2, 'float64');
        const { y, state } = layer.forward(init.params, x, trainCtx(key(2), init.state));
        const c = shape[0];
        const ys = stats(y, c);
        const xs = stats(x, c);
        for (let ch = 0; ch < c; ch++) {
          expect(ys.mean[ch]).to.be.closeTo(0, 1e-9);
          expect(ys.variance[ch]).to.be.closeTo(xs.variance[ch] / (xs.variance[ch] + 1e-5), 1e-9);
          expect((state.mean as Tensor).data[ch]).to.be.closeTo(0.1 * xs.mean[ch], 1e-9);
          expect((state.variance as Tensor).data[ch]).to.be.closeTo(0.9 + 0.1 * xs.variance[ch], 1e-9);
        }
      });
    }

    it('inference uses the running statistics and leaves the state unchanged', () => {
      const layer = batchNorm({ eps: 1e-5 });
      const params = { gamma: tensor([2, 0.5]), beta: tensor([1, -1]) };
      const state: TreeRecord = { mean: tensor([1, -2]), variance: tensor([4, 0.25]) };
      const x = tensor([[3, -2], [1, 0]]);
      const r = layer.forward(params, x, inferenceCtx(key(0), state));
      const s0 = Math.sqrt(4 + 1e-5); const s1 = Math.sqrt(0.25 + 1e-5);
      const expected = [2 * (3 - 1) / s0 + 1, 0.5 * 0 / s1 - 1, 2 * 0 / s0 + 1, 0.5 * 2 / s1 - 1];
      Array.from(r.y.data).forEach((v, i) => expect(v).to.be.closeTo(expected[i], 1e-6));
      expect(r.state).to.equal(state);
      // one example at a time gives the same answer: nothing depends on the batch
      const single = layer.forward(params, tensor([[1, 0]]), inferenceCtx(key(0), state)).y;
      expect(single.data[0]).to.be.closeTo(expected[2], 1e-6);
    });

    it('refuses wrong ranks and missing state, naming shapes', () => {
      expect(() => batchNorm().init(key(0), [2, 3])).to.throw(/batchNorm: needs per-example input \[D\] or \[C,H,W\], got \[2,3\]/);
      const layer = batchNorm();
      const init = layer.init(key(0), [3]);
      expect(() => layer.forward(init.params, normal(key(1), [2, 4]), trainCtx(key(0), init.state)))
        .to.throw(/batchNorm: input \[2,4\] is neither \[N,3\] nor \[N,3,H,W\]/);
      expect(() => layer.forward(init.params, normal(key(1), [2, 3]), trainCtx(key(0), {})))
        .to.throw(/batchNorm: state has no running mean\/variance/);
      expect(() => batchNorm({ momentum: 2 })).to.throw(/momentum must be in \[0, 1\]/);
      expect(() => batchNorm({ activation: 'tanh' as 'relu' })).to.throw(/batchNorm: activation must be 'relu' or absent, got "tanh"/);
    });

    for (const mode of ['train', 'inference'] as const) {
      it(`with a ReLU after it, as sequential fuses it (${mode}): the two layers' y, state, dx and grads bit for bit, with no ReLU pass either way`, () => {
        const relu = reluLayer() as unknown as Layer;
        const bnLayer = randomised(bn());
        const { params, state } = bnLayer.init(key(3), [4, 5, 3]);
        const x = normal(key(4), [6, 4, 5, 3]);
        const ctx = mode === 'train' ? trainCtx(key(5), state) : inferenceCtx(key(5), state);
        // the two layers one after the other
        const a = bnLayer.forward(params, x, ctx);
        const r = relu.forward({}, a.y, ctx);
        const dy = normal(key(6), [...r.y.shape]);
        const dBn = relu.backward({}, r.cache, dy).dx;
        const b = bnLayer.backward(params, a.cache, dBn);
        // sequential, which fuses them; no unary relu runs forward, no reluBackward backward
        const net = sequential(bnLayer, relu);
        const named = { batchnorm1: params };
        const calls: string[] = [];
        const active = activeKernels();
        const spy: Kernels = {
          ...active,
          unary: (op, ...rest) => { calls.push(op); active.unary(op, ...rest); },
          reluBackward: (...args) => { calls.push('reluBackward'); active.reluBackward(...args); },
        };
        const previous = setKernels(spy);
        try {
          const f = net.forward(named, x, { ...ctx, state: { batchnorm1: state } });
          expect(calls, 'unary ops run by the fused forward').to.not.include('relu');
          expect(Array.from(f.y.data)).to.deep.equal(Array.from(r.y.data));
          expect(f.state).to.deep.equal({ batchnorm1: a.state });
          const g = net.backward(named, f.cache, dy);
          expect(calls, 'kernels run by the fused backward').to.not.include('reluBackward');
          expect(Array.from(g.dx.data)).to.deep.equal(Array.from(b.dx.data));
          for (const k of ['gamma', 'beta']) {
            expect(Array.from(((g.grads.batchnorm1 as TreeRecord)[k] as Tensor).data), k).to.deep.equal(Array.from((b.grads[k] as Tensor).data));
          }
        } finally {
          setKernels(previous);
        }
      });
    }
  });
});
