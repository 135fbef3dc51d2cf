/**
 * Decaying optimizer state never settles on subnormal numbers: a moment whose gradient stays 0
 * (a dead ReLU unit) decays geometrically, and in float32 β·m rounds back to m once m is tiny, so
 * without flushing it would stay subnormal for good and slow every later step (x86 microcode).
 */
import { expect } from 'chai';
import { activeKernels, setKernels } from '../lib/kernels/backend.ts';
import { referenceKernels } from '../lib/kernels/reference.ts';
import { adam, fromArray, momentum, rmsprop, type Optimizer, type TreeRecord, type Tensor } from '../lib/index.ts';
import { leaves } from '../lib/tree.ts';

const NORMAL_MIN = { float32: 2 ** -126, float64: 2 ** -1022 } as const;

/** The state's values that are subnormal in their dtype. */
const subnormals = (state: TreeRecord, dtype: 'float32' | 'float64'): number[] =>
  leaves(state).flatMap(([, t]: readonly [string, Tensor]) => (t.dtype === dtype ? Array.from(t.data).filter((v) => v !== 0 && Math.abs(v) < NORMAL_MIN[dtype]) : []));

/** One gradient of 1, then zeros: the state decays from its first value through the subnormals, at β per step. */
const decayed = (opt: Optimizer, dtype: 'float32' | 'float64', steps: number): { state: TreeRecord; seen: number } => {
  let params: TreeRecord = { w: fromArray([0.5, -0.5, 0.25, 1, 2, 3, 4, 5], [8], dtype) };
  let state = opt.init(params);
  let seen = 0;
  for (let s = 0; s < steps; s++) {
    const g = fromArray(Array.from({ length: 8 }, (_, i) => (s === 0 ? (i % 2 === 0 ? 1 : -1) : 0)), [8], dtype);
    const r = opt.update({ w: g }, state, params);
    params = r.params; state = r.state;
    seen += subnormals(state as TreeRecord, dtype).length;
  }
  return { state: state as TreeRecord, seen };
};

// steps for β^steps to fall below the smallest subnormal from 1: 0.9 → ~1000 (f32), 0.99 → ~10,500 (f32)
const cases = [
  { name: 'adam (β1 0.9)', opt: adam(0.001), f32: 1200, f64: 7300, decays: /(^|\/)mu(\/|$)/ },
  { name: 'momentum (0.9)', opt: momentum(0.01, 0.9), f32: 1200, f64: 7300, decays: /(^|\/)trace(\/|$)/ },
  { name: 'rmsprop (0.99)', opt: rmsprop(0.001, 0.99), f32: 11000, f64: 0, decays: /(^|\/)nu(\/|$)/ },
] as const;

for (const backend of ['active', 'reference'] as const) {
  describe(`optimizer state flushes subnormals to 0 (${backend} kernels)`, () => {
    let previous = activeKernels();
    before(() => { previous = backend === 'reference' ? setKernels(referenceKernels) : activeKernels(); });
    after(() => { setKernels(previous); });
    for (const c of cases) {
      for (const dtype of ['float32', 'float64'] as const) {
        const steps = dtype === 'float32' ? c.f32 : c.f64;
        if (steps === 0) continue;
        it(`${c.name}, ${dtype}: no subnormal after any of ${steps} steps of zero gradient, and the decayed state reaches 0`, function () {
          this.timeout(20000);
          const { state, seen } = decayed(c.opt, dtype, steps);
          expect(seen, 'subnormal values seen in the state').to.equal(0);
          // the state that decays at 0.9 or 0.99 (not Adam's slow second moment) has gone all the way to 0
          const decaying = leaves(state).filter(([path]) => c.decays.test(path));
          expect(decaying.length, 'decaying state found').to.equal(1);
          expect(Array.from(decaying[0][1].data).every((v) => v === 0), 'decayed state is 0').to.equal(true);
        });
      }
    }
  });
}
