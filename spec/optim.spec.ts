import { expect } from 'chai';
import {
  adagrad, adam, adamw, fromArray, momentum, nesterov, rmsprop, sgd, type Optimizer, type Tensor, type TreeRecord,
  cosineDecay, exponentialDecay, linearWarmup, stepDecay, constant,
} from '../lib/index.ts';

const scalar = (v: number): Tensor => fromArray([v], [1], 'float64');
const w = (p: TreeRecord): number => (p.w as Tensor).data[0];

/** Runs an optimizer on one scalar parameter with the given gradients; returns the trajectory. */
const run = (opt: Optimizer, w0: number, grads: readonly number[]): number[] => {
  let params: TreeRecord = { w: scalar(w0) };
  let state = opt.init(params);
  const out: number[] = [];
  for (const g of grads) {
    const r = opt.update({ w: scalar(g) }, state, params);
    params = r.params; state = r.state; out.push(w(params));
  }
  return out;
};

describe('optimizers: hand-computed steps', () => {
  it('SGD: w − lr·g', () => {
    expect(run(sgd(0.1), 1, [0.5, -1])).to.deep.equal([0.95, 1.05]);
  });
  it('Momentum: v ← αv − lr·g; w ← w + v', () => {
    const [a, b] = run(momentum(0.1, 0.9), 1, [1, 1]);
    expect(a).to.be.closeTo(0.9, 1e-12);
    expect(b).to.be.closeTo(0.71, 1e-12);
  });
  it('Nesterov: w ← w − lr·(g + α·t) with t ← g + α·t', () => {
    const [a, b] = run(nesterov(0.1, 0.9), 1, [1, 1]);
    expect(a).to.be.closeTo(0.81, 1e-12);
    expect(b).to.be.closeTo(0.539, 1e-12);
  });
  it('AdaGrad: h ← h + g²; w ← w − lr·g/(√h + 1e-7)', () => {
    const [a, b] = run(adagrad(0.1), 1, [2, 2]);
    expect(a).to.be.closeTo(1 - 0.2 / (2 + 1e-7), 1e-12);
    expect(b).to.be.closeTo(a - 0.2 / (Math.sqrt(8) + 1e-7), 1e-12);
  });
  it('RMSprop: h ← ρh + (1−ρ)g²; w ← w − lr·g/(√h + 1e-7)', () => {
    const [a, b] = run(rmsprop(0.01, 0.99), 1, [1, 1]);
    expect(a).to.be.closeTo(1 - 0.01 / (0.1 + 1e-7), 1e-12);
    const h2 = 0.99 * 0.01 + 0.01;
    expect(b).to.be.closeTo(a - 0.01 / (Math.sqrt(h2) + 1e-7), 1e-12);
  });
  it('Adam: bias-corrected moments', () => {
    const [a, b] = run(adam(0.1), 1, [1, -1]);
    expect(a).to.be.closeTo(1 - 0.1 / (1 + 1e-8), 1e-12);
    const mHat = -0.01 / (1 - 0.81);
    const vHat = (0.999 * 0.001 + 0.001) / (1 - 0.999 ** 2);
    expect(b).to.be.closeTo(a - (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8), 1e-12);
  });
  it('AdamW: decoupled decay added after the Adam scaling', () => {
    const [a] = run(adamw(0.1, 0.1), 1, [1]);
    expect(a).to.be.closeTo(1 - 0.1 * (1 / (1 + 1e-8) + 0.1), 1e-12);
  });
  it('L2 weight decay adds λ·w to the gradient; L1 adds λ·sign(w)', () => {
    expect(run(sgd(0.1, { weightDecay: 0.5, mask: () => true }), 2, [1])[0]).to.be.closeTo(2 - 0.1 * (1 + 1), 1e-12);
    expect(run(sgd(0.1, { l1: 0.5, mask: () => true }), -2, [1])[0]).to.be.closeTo(-2 - 0.1 * (1 - 0.5), 1e-12);
  });
  it('weight decay skips biases by default', () => {
    const opt = sgd(0.1, { weightDecay: 1 });
    const params = { layer: { W: scalar(1), b: scalar(1) } };
    const r = opt.update({ layer: { W: scalar(0), b: scalar(0) } }, opt.init(params), params);
    expect(((r.params.layer as TreeRecord).W as Tensor).data[0]).to.be.closeTo(0.9, 1e-12);
    expect(((r.params.layer as TreeRecord).b as Tensor).data[0]).to.equal(1);
  });
  it('never changes the parameters or state it is given', () => {
    const opt = adam(0.1);
    const params = { w: scalar(1) };
    const state = opt.init(params);
    opt.update({ w: scalar(1) }, state, params);
    expect(w(params)).to.equal(1);
    expect(opt.update({ w: scalar(1) }, state, params).params).to.deep.equal(opt.update({ w: scalar(1) }, state, params).params);
  });
});

describe('optimizers: minimise the book\'s f(x, y) = x²/20 + y²', () => {
  const f = (x: number, y: number): number => x * x / 20 + y * y;
  const cases: readonly [string, Optimizer][] = [
    ['sgd', sgd(0.95)], ['momentum', momentum(0.1)], ['nesterov', nesterov(0.1)],
    ['adagrad', adagrad(1.5)], ['rmsprop', rmsprop(0.05)], ['adam', adam(0.3)], ['adamw', adamw(0.3, 0.01)],
  ];
  for (const [name, opt] of cases) {
    it(`${name} goes from f = 6.45 at (−7, 2) to below 0.01`, () => {
      let params: TreeRecord = { x: scalar(-7), y: scalar(2) };
      let state = opt.init(params);
      for (let i = 0; i < 300; i++) {
        const x = (params.x as Tensor).data[0]; const y = (params.y as Tensor).data[0];
        const r = opt.update({ x: scalar(x / 10), y: scalar(2 * y) }, state, params);
        params = r.params; state = r.state;
      }
      expect(f((params.x as Tensor).data[0], (params.y as Tensor).data[0])).to.be.below(0.01);
    });
  }
});

describe('learning-rate schedules', () => {
  it('compute the documented rates', () => {
    expect(constant(0.1)(100)).to.equal(0.1);
    expect(stepDecay(1, 10, 0.5)(25)).to.equal(0.25);
    expect(exponentialDecay(1, 10, 0.5)(5)).to.be.closeTo(Math.SQRT1_2, 1e-12);
    expect(cosineDecay(1, 100)(50)).to.be.closeTo(0.5, 1e-12);
    expect(cosineDecay(1, 100, 0.1)(1000)).to.be.closeTo(0.1, 1e-12);
    const warm = linearWarmup(4, constant(0.8));
    expect([0, 1, 2, 3, 4].map(warm)).to.deep.equal([0.2, 0.4, 0.6000000000000001, 0.8, 0.8]);
  });
  it('drive an optimizer step by step', () => {
    expect(run(sgd(stepDecay(0.1, 1, 0.5)), 1, [1, 1, 1])).to.deep.equal([0.9, 0.85, 0.825]);
  });
});
