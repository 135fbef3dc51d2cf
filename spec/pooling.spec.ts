import { expect } from 'chai';
import { flatten } from '../lib/layers/flatten.ts';
import { avgPool2d, globalAvgPool, maxPool2d } from '../lib/layers/pooling.ts';
import {
  fromArray, gradientCheck, inferenceCtx, trainCtx, key, normal, permutation, tensor, toNested, type Layer, type Tensor,
} from '../lib/index.ts';

const TOL = 1e-6;

/** Distinct values (a shuffled 0..n-1), so that no window has a tie for its maximum. */
const distinct = (shape: readonly number[], seed: number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return fromArray(permutation(key(seed), n), shape, 'float64');
};

describe('pooling and flatten', () => {
  describe('gradient check in float64', () => {
    const cases: readonly [string, Layer, readonly number[], boolean][] = [
      ['max 2×2 / 2', maxPool2d(2) as unknown as Layer, [2, 4, 6], true],
      ['max 3×3 / 2 with pad 1, odd input', maxPool2d(3, 2, 1) as unknown as Layer, [2, 5, 7], true],
      ['max 2×3 / [1,2]', maxPool2d([2, 3], [1, 2]) as unknown as Layer, [3, 4, 7], true],
      ['avg 2×2 / 2', avgPool2d(2) as unknown as Layer, [2, 4, 4], false],
      ['avg 3×3 / 2 with pad 1 (stride ≠ window)', avgPool2d(3, 2, 1) as unknown as Layer, [2, 5, 6], false],
      ['avg 2×3 / [1,2]', avgPool2d([2, 3], [1, 2]) as unknown as Layer, [1, 5, 7], false],
      ['global average', globalAvgPool() as unknown as Layer, [3, 4, 5], false],
      ['flatten', flatten() as unknown as Layer, [2, 3, 4], false],
    ];
    for (const [name, layer, shape, ties] of cases) {
      it(`${name}: backward matches central differences`, () => {
        const input = ties ? distinct([2, ...shape], 5) : undefined;
        const r = gradientCheck(layer, { inputShape: shape, batch: 2, seed: 11, input });
        for (const [path, err] of Object.entries(r.errors)) expect(err, path).to.be.below(TOL);
      });
    }
  });

  describe('behaviour', () => {
    const x = tensor([[[[1, 2, 3, 0], [4, 9, 1, 1], [0, 0, 5, 6], [2, 1, 8, 7]]]]);
    const ctx = inferenceCtx(key(0));

    it('max pooling picks each window maximum and routes the gradient to it', () => {
      const layer = maxPool2d(2);
      const { y, cache } = layer.forward({}, x, ctx);
      expect(toNested(y)).to.deep.equal([[[[9, 3], [2, 8]]]]);
      const { dx } = layer.backward({}, cache, tensor([[[[1, 2], [3, 4]]]]));
      expect(toNested(dx)).to.deep.equal([[[[0, 0, 2, 0], [0, 1, 0, 0], [0, 0, 0, 0], [3, 0, 4, 0]]]]);
    });

    it('max pooling in inference keeps no argmax, yet gives the same output and, if asked, the same dx as in training', () => {
      for (const [layer, shape] of [[maxPool2d(2), [3, 4, 9, 8]], [maxPool2d(3, 2, 1), [2, 3, 7, 5]]] as const) {
        // float32 runs the wasm kernels; small integers make ties, so the first-maximum rule is exercised
        const input = fromArray(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i * 7) % 5), shape, 'float32');
        const train = layer.forward({}, input, trainCtx(key(0)));
        const infer = layer.forward({}, input, ctx);
        expect(Array.from(infer.y.data)).to.deep.equal(Array.from(train.y.data));
        expect('argmax' in infer.cache, 'no argmax kept in inference').to.equal(false);
        const dy = normal(key(3), [...train.y.shape]);
        expect(Array.from(layer.backward({}, infer.cache, dy).dx.data)).to.deep.equal(Array.from(layer.backward({}, train.cache, dy).dx.data));
      }
    });

    it('average pooling averages each window and spreads the gradient evenly', () => {
      const layer = avgPool2d(2);
      const { y, cache } = layer.forward({}, x, ctx);
      expect(toNested(y)).to.deep.equal([[[[4, 1.25], [0.75, 6.5]]]]);
      const { dx } = layer.backward({}, cache, tensor([[[[4, 8], [0, 4]]]]));
      expect(toNested(dx)).to.deep.equal([[[[1, 1, 2, 2], [1, 1, 2, 2], [0, 0, 1, 1], [0, 0, 1, 1]]]]);
    });

    it('global average pooling gives one mean per channel', () => {
      const x2 = normal(key(1), [3, 2, 4, 5]);
      const layer = globalAvgPool();
      expect(layer.init(key(0), [2, 4, 5]).outputShape).to.deep.equal([2]);
      const y = layer.forward({}, x2, ctx).y;
      expect(y.shape).to.deep.equal([3, 2]);
      let s = 0;
      for (let i = 0; i < 20; i++) s += x2.data[20 + i];
      expect(y.data[1]).to.be.closeTo(s / 20, 1e-6);
    });

    it('init reports output shapes (default stride is the window)', () => {
      expect(maxPool2d(2).init(key(0), [30, 24, 24]).outputShape).to.deep.equal([30, 12, 12]);
      expect(maxPool2d(3, 2, 1).init(key(0), [8, 7, 7]).outputShape).to.deep.equal([8, 4, 4]);
      expect(avgPool2d([2, 4]).init(key(0), [1, 8, 8]).outputShape).to.deep.equal([1, 4, 2]);
      expect(flatten().init(key(0), [64, 4, 4]).outputShape).to.deep.equal([1024]);
    });

    it('flatten is row-major over (C, H, W) and shares data', () => {
      const t = normal(key(2), [2, 3, 2, 2]);
      const y = flatten().forward({}, t, ctx).y;
      expect(y.shape).to.deep.equal([2, 12]);
      expect(y.data).to.equal(t.data);
    });

    it('names shapes in errors', () => {
      expect(() => maxPool2d(5).init(key(0), [1, 4, 4])).to.throw(/maxPool2d: a 5×5 window does not fit input \[1,4,4\]/);
      expect(() => avgPool2d(2).forward({}, normal(key(0), [2, 8]), ctx)).to.throw(/avgPool2d: needs NCHW input, got \[2,8\]/);
      expect(() => globalAvgPool().init(key(0), [10])).to.throw(/globalAvgPool: needs per-example input \[C,H,W\], got \[10\]/);
      expect(() => maxPool2d(0)).to.throw(/maxPool2d: window must be a whole number ≥ 1/);
    });
  });
});
