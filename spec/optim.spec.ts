import { expect } from 'chai';
import { chain, fromTransform } from '../lib/optim/transform.ts';
import { scaleByAdam, scaleByLearningRate } from '../lib/optim/transforms.ts';
import { leaves } from '../lib/tree.ts';
import { key, normal } from '../lib/random.ts';
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
  it('Adam in one fused kernel pass per tensor matches chain(scaleByAdam, scaleByLearningRate) + applyUpdates, state and all', () => {
    const schedule = cosineDecay(0.01, 5);
    const fused = adam(schedule);
    const plain = fromTransform(chain(scaleByAdam(), scaleByLearningRate(schedule)));
    for (const dtype of ['float32', 'float64'] as const) {
      let p1: TreeRecord = { a: { W: normal(key(1), [7, 33], 0, 1, dtype) }, b: normal(key(2), [5], 0, 1, dtype) };
      let p2 = p1;
      let s1 = fused.init(p1);
      let s2 = plain.init(p2);
      for (let step = 0; step < 4; step++) {
        // gradients arrive in backward order, the reverse of the parameters'
        const g: TreeRecord = { b: normal(key(20 + step), [5], 0, 1, dtype), a: { W: normal(key(10 + step), [7, 33], 0, 1, dtype) } };
        const r1 = fused.update(g, s1, p1);
        const r2 = plain.update(g, s2, p2);
        p1 = r1.params; s1 = r1.state; p2 = r2.params; s2 = r2.state;
      }
      const flat = (t: TreeRecord): number[] => leaves(t).flatMap(([, x]) => Array.from(x.data));
      expect(JSON.stringify(Object.keys(s1)), 'state layout').to.equal(JSON.stringify(Object.keys(s2)));
      expect(leaves(p1).map(([path]) => path), 'parameter order').to.deep.equal(leaves(p2).map(([path]) => path));
      const tol = dtype === 'float32' ? 1e-6 : 1e-14;
      for (const [what, x, y] of [['params', p1, p2], ['state', s1, s2]] as const) {
        const a = flat(x);
        const b = flat(y);
        expect(a.length, what).to.equal(b.length);
        a.forEach((v, i) => expect(v, `${dtype} ${what} ${i}`).to.be.closeTo(b[i], tol * Math.max(1, Math.abs(b[i]))));
      }
    }
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
