/**
 * Misusing the API gives errors that say which layer and what was wrong (the params path, the
 * shape, the expected rank), not raw TypeErrors or RangeErrors from deep inside.
 */
import { expect } from 'chai';
import {
  affine, allocate, conv2d, flatten, full, key, LayerError, maxPool2d, normal, ones, reluLayer, residual, sequential,
  trainCtx, zeros, type Layer, type TreeRecord,
} from '../lib/index.ts';

/** The error `f` throws (it must throw). */
const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
};

const mlp = (): Layer<TreeRecord, readonly unknown[]> => sequential(affine(10), reluLayer(), affine(3));

describe('API misuse', () => {
  describe('missing params', () => {
    it('forward with {} names the first layer and the param path', () => {
      const err = thrown(() => mlp().forward({}, normal(key(1), [2, 784]), trainCtx(key(2))));
      expect(err).to.be.instanceOf(LayerError);
      expect(err.message).to.match(/^forward of "affine1": params\.affine1\.W is missing \(affine needs params \{ W, b \} and was given \{\}\)$/);
      expect((err as LayerError).path).to.deep.equal(['affine1']);
    });

    it('names the one param that is missing, in the layer that lacks it', () => {
      const net = mlp();
      const { params } = net.init(key(0), [784]);
      const partial = { ...params, affine2: { W: (params.affine2 as TreeRecord).W } };
      expect(() => net.forward(partial, normal(key(1), [2, 784]), trainCtx(key(2))))
        .to.throw(LayerError, /forward of "affine2": params\.affine2\.b is missing \(.*given \{ W \}\)/);
      const f = net.forward(params, normal(key(1), [2, 784]), trainCtx(key(2)));
      expect(() => net.backward(partial, f.cache, zeros([2, 3]))).to.throw(LayerError, /backward of "affine2": params\.affine2\.b is missing/);
    });

    it('spells out the full path through nested combinators', () => {
      const net = sequential(['block1', residual(sequential(affine(4), reluLayer()))], affine(2));
      const { params } = net.init(key(0), [4]);
      expect(() => net.forward({ ...params, block1: { f: {} } }, zeros([2, 4]), trainCtx(key(0))))
        .to.throw(LayerError, /^forward of "block1\.f\.affine1": params\.block1\.f\.affine1\.W is missing/);
    });

    it('names conv layers the same way, and a bare layer by its kind', () => {
      const net = sequential(conv2d(2, 3, 3), maxPool2d(2), flatten(), affine(3));
      expect(() => net.forward({}, zeros([2, 1, 8, 8]), trainCtx(key(0))))
        .to.throw(LayerError, /forward of "conv1": params\.conv1\.W is missing \(conv2d needs params \{ W, b \}/);
      expect(() => affine(3).forward({} as never, zeros([2, 4]), trainCtx(key(0))))
        .to.throw(LayerError, /^params\.W is missing \(affine needs params/);
    });

    it('refuses params that are not a record at all', () => {
      expect(() => mlp().forward(undefined as never, zeros([2, 784]), trainCtx(key(0))))
        .to.throw(LayerError, /sequential: params must be the record init returned, got undefined/);
    });
  });

  describe('backward without a forward', () => {
    it('refuses a missing cache, saying forward must run first', () => {
      const net = mlp();
      const { params } = net.init(key(0), [784]);
      expect(() => net.backward(params, undefined as never, zeros([2, 3])))
        .to.throw(LayerError, /sequential: the cache is undefined, not the array of 3 its forward returned \(backward cannot run before forward/);
      expect(() => net.backward(params, [], zeros([2, 3]))).to.throw(LayerError, /the cache is an array of 0, not the array of 3/);
    });

    it('names the child whose cache is missing', () => {
      const net = mlp();
      const { params } = net.init(key(0), [784]);
      const f = net.forward(params, normal(key(1), [2, 784]), trainCtx(key(2)));
      expect(() => net.backward(params, [undefined, f.cache[1], f.cache[2]], zeros([2, 3])))
        .to.throw(LayerError, /^backward of "affine1": affine: no cache/);
      expect(() => affine(3).backward(affine(3).init(key(0), [4]).params, undefined as never, zeros([2, 3])))
        .to.throw(LayerError, /^affine: no cache; pass backward the cache its forward returned/);
    });

    it('keeps the original error as the cause when wrapping a child error', () => {
      const boom: Layer = {
        name: 'boom',
        init: () => ({ params: {}, state: {}, outputShape: [1] }),
        forward: () => { throw new TypeError('kaput'); },
        backward: () => { throw new TypeError('kaput'); },
      };
      const err = thrown(() => sequential(reluLayer(), boom).forward({}, zeros([1, 1]), trainCtx(key(0)))) as LayerError;
      expect(err.message).to.equal('forward of "boom1": kaput');
      expect(err.cause).to.be.instanceOf(TypeError);
    });
  });

  describe('rank mismatches', () => {
    it('at init: affine refuses a rank-0 per-example input, naming layer, rank and shape', () => {
      expect(() => sequential(affine(10)).init(key(0), []))
        .to.throw(/layer 1 "affine1" cannot take input shape \[\]: affine: expects a per-example input of rank ≥ 1 \(\[…features\]\), got shape \[\]/);
    });

    it('at forward: a rank-0 or unbatched input names the layer, the rank expected and the shape given', () => {
      const net = sequential(affine(10));
      const { params } = net.init(key(0), [784]);
      for (const [shape, shown] of [[[], '\\[\\]'], [[784], '\\[784\\]']] as const) {
        const err = thrown(() => net.forward(params, zeros(shape), trainCtx(key(0))));
        expect(err).to.be.instanceOf(LayerError);
        expect(err.message).to.match(new RegExp(`^forward of "affine1": affine: expects input of rank ≥ 2 \\(\\[N, …features\\]\\), got shape ${shown}$`));
        expect(err.message).to.not.include('undefined');
      }
    });

    it('flatten refuses a rank-0 input', () => {
      expect(() => flatten().forward({}, zeros([]), trainCtx(key(0)))).to.throw(LayerError, /flatten: expects input of rank ≥ 1 .*got shape \[\]/);
    });
  });

  describe('sizes no typed array holds', () => {
    it('zeros, ones and full name the shape and element count', () => {
      expect(() => zeros([1e6, 1e6])).to.throw(RangeError,
        /^zeros: shape \[1000000,1000000\] has 1000000000000 float32 elements, which no float32 typed array holds \(at most \d+\)$/);
      expect(() => ones([3, 1e12])).to.throw(RangeError, /^ones: shape \[3,1000000000000\] has 3000000000000 float32 elements/);
      expect(() => full([1e7, 1e7], 2, 'float64')).to.throw(RangeError, /^full: shape \[10000000,10000000\] has 100000000000000 float64 elements/);
    });

    it('allocate names the shape it was given, or the bare size', () => {
      expect(() => allocate('float32', 1e12)).to.throw(RangeError, /^allocate: shape \[1000000000000\] has 1000000000000 float32 elements/);
      expect(() => allocate('float64', 1e12, [1e6, 1e6], 'matmul')).to.throw(RangeError, /^matmul: shape \[1000000,1000000\] has/);
      expect(allocate('float32', 3)).to.deep.equal(new Float32Array(3));
    });
  });
});
