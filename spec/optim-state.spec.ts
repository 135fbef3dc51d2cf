/**
 * Typed optimizer state: what the types accept and refuse (checked by `npm run typecheck`: an
 * unused @ts-expect-error fails it), and the record layout the types describe.
 */
import { expect } from 'chai';
import {
  adam, adamInit, adamStep, adamw, chain, countOf, fromArray, fromTransform, isTensor, mapTrees, momentum, nesterov,
  scaleByAdam, scaleByLearningRate, sgd, trace, type ChainState, type GradientTransformation, type Optimizer,
  type OptState, type ScaleByAdamState, type ScaleByLearningRateState, type StateOf, type Tensor, type TraceState,
  type Tree, type TreeRecord,
} from '../lib/index.ts';

const scalar = (v: number): Tensor => fromArray([v], [1], 'float64');
const valueOf = (t: Tree | undefined): number => {
  if (!isTensor(t)) throw new Error('not a tensor');
  return t.data[0];
};

// Compile-time only (never called): each @ts-expect-error must meet an error.
export const refusedByTheTypes = (params: TreeRecord, grads: TreeRecord): void => {
  const adamState = adam(0.1).init(params);
  const momentumState = momentum(0.1).init(params);
  // @ts-expect-error adam's state is not sgd's (though both keep a step count)
  sgd(0.1).update(grads, adamState, params);
  // @ts-expect-error nor momentum's
  momentum(0.1).update(grads, adamState, params);
  // @ts-expect-error nor is momentum's adam's
  adam(0.1).update(grads, momentumState, params);
  // @ts-expect-error a plain tree (a loaded checkpoint) is not adam's state until it is checked
  adam(0.1).update(grads, adamState as OptState, params);
  // @ts-expect-error scaleByAdam's state has a count too, but it is not scaleByLearningRate's
  scaleByLearningRate(0.1).update(grads, adamInit(params), params);
  // @ts-expect-error nor is trace's
  scaleByLearningRate(0.1).update(grads, trace(0.9).init(params), params);
  const s = chain(scaleByAdam(), scaleByLearningRate(0.1)).init(params);
  // @ts-expect-error a chain of two has no position 2
  void s[2];
  // @ts-expect-error the state is a record, not an array: no length (a loaded checkpoint has none)
  void s.length;
  // @ts-expect-error f returns 3 tensors where 2 were asked for
  mapTrees([params], 2, (p) => [p, p, p]);
};

describe('optimizer state: types', () => {
  const params: TreeRecord = { w: scalar(1) };
  const grads: TreeRecord = { w: scalar(0.5) };

  it('a chain\'s state is its transformations\' states by position', () => {
    const t = chain(scaleByAdam(), scaleByLearningRate(0.1));
    const typed: GradientTransformation<ChainState<[ScaleByAdamState, ScaleByLearningRateState]>> = t;
    const s: StateOf<typeof typed> = t.init(params);
    const mu: TreeRecord = s[0].mu;
    const count: Tensor = s[1].count;
    expect(Object.keys(mu)).to.deep.equal(['w']);
    expect(valueOf(count)).to.equal(0);
  });

  it('accepts a state where it fits: momentum and nesterov keep the same one', () => {
    const traced: TraceState = trace(0.9).init(params);
    const momentumState = momentum(0.1).init(params);
    expect(valueOf(nesterov(0.1).update(grads, momentumState, params).params.w)).to.be.closeTo(1 - 0.1 * 0.5 * 1.9, 1e-12);
    expect(Object.keys(traced.trace)).to.deep.equal(['w']);
  });

  it('every typed optimizer is an Optimizer over plain OptState, the type a checkpoint loads as', () => {
    const optimizers: readonly Optimizer[] = [sgd(), momentum(), adam(), adamw()];
    const loaded: OptState = adam(0.1).init(params);
    const plain: Optimizer = adam(0.1);
    expect(valueOf(plain.update(grads, loaded, params).params.w)).to.be.closeTo(0.9, 1e-6);
    expect(optimizers.map((o) => Object.keys(o.init(params)).length)).to.deep.equal([1, 2, 2, 3]);
  });
});

describe('optimizer state: layout', () => {
  it('a chain\'s state is a plain record keyed "0", "1", …, as checkpoints store it', () => {
    const s = momentum(0.1).init({ w: scalar(1) });
    expect(Array.isArray(s)).to.equal(false);
    expect(Object.keys(s)).to.deep.equal(['0', '1']);
    // a record rebuilt from its entries, as loadCheckpoint builds it, works as the typed state
    const rebuilt: OptState = Object.fromEntries(Object.entries(s));
    const plain: Optimizer = momentum(0.1);
    const next = plain.update({ w: scalar(1) }, rebuilt, { w: scalar(1) });
    expect(valueOf(next.params.w)).to.be.closeTo(0.9, 1e-12);
  });

  it('fused adam keeps chain(scaleByAdam, scaleByLearningRate)\'s layout; the moments follow the gradients\' key order', () => {
    const params: TreeRecord = { a: scalar(1), b: scalar(2) };
    const fused = adam(0.1);
    const plain = fromTransform(chain(scaleByAdam(), scaleByLearningRate(0.1)));
    const grads: TreeRecord = { b: scalar(1), a: scalar(-1) };
    const s1 = fused.update(grads, fused.init(params), params).state;
    const s2 = plain.update(grads, plain.init(params), params).state;
    const shape = (s: OptState): unknown => JSON.parse(JSON.stringify(s, (_k, v: unknown) => (isTensor(v) ? 'tensor' : v)));
    expect(shape(s1)).to.deep.equal(shape(s2));
    expect(JSON.stringify(shape(s1))).to.equal('{"0":{"count":"tensor","mu":{"b":"tensor","a":"tensor"},"nu":{"b":"tensor","a":"tensor"}},"1":{"count":"tensor"}}');
  });

  it('adamStep returns updates and both moments in the updates\' structure', () => {
    const g: TreeRecord = { z: { W: scalar(2) }, a: scalar(1) };
    const r = adamStep(g, adamInit({ a: scalar(0), z: { W: scalar(0) } }), 0.9, 0.999, 1e-8, 1);
    expect(Object.keys(r.updates)).to.deep.equal(['z', 'a']);
    expect(Object.keys(r.state.mu)).to.deep.equal(['z', 'a']);
    expect(valueOf(r.state.mu.a)).to.be.closeTo(0.1, 1e-15);
    expect(countOf(r.state)).to.equal(1);
  });
});

describe('mapTrees', () => {
  it('maps several trees to several, in the first tree\'s structure and key order', () => {
    const x: TreeRecord = { b: scalar(2), a: { c: scalar(3) } };
    const y: TreeRecord = { a: { c: scalar(10) }, b: scalar(20) };
    const [sum, diff] = mapTrees([x, y], 2, (p, q) => [scalar(valueOf(p) + valueOf(q)), scalar(valueOf(p) - valueOf(q))]);
    expect(Object.keys(sum)).to.deep.equal(['b', 'a']);
    expect(valueOf(sum.b)).to.equal(22);
    expect(valueOf(diff.b)).to.equal(-18);
    const inner = diff.a;
    if (isTensor(inner)) throw new Error('a is a record');
    expect(valueOf(inner.c)).to.equal(-7);
  });
  it('gives `count` empty trees for a tree without leaves', () => {
    const [p, q, r] = mapTrees([{ a: {} }], 3, () => [scalar(0), scalar(0), scalar(0)]);
    expect([p, q, r]).to.deep.equal([{ a: {} }, { a: {} }, { a: {} }]);
  });
  it('refuses trees of different structure, and f returning the wrong number of tensors', () => {
    expect(() => mapTrees([{ a: scalar(1) }, { b: scalar(1) }], 1, (p) => [p])).to.throw(/"a" is missing/);
    expect(() => mapTrees([{ a: scalar(1) }, { a: { x: scalar(1) } }], 1, (p) => [p])).to.throw(/"a" is a tensor in one tree/);
    // @ts-expect-error (the types see it too)
    expect(() => mapTrees([{ a: scalar(1) }], 2, (p) => [p, p, p])).to.throw(/returned 3 tensors at "a", not 2/);
  });
});

