import { expect } from 'chai';
import {
  augmentationFor, compose, horizontalFlip, meanOf, randomAffine, randomCrop, ttaPredict, ttaViews, type Augment,
} from '../lib/augment/index.ts';
import { key, uniform } from '../lib/random.ts';
import { fromArray, type Tensor } from '../lib/tensor.ts';
import { reshape } from '../lib/ops/shape.ts';
import { unsafeMutableData } from '../lib/tensor-unsafe.ts';
import { dataset, type Dataset } from '../lib/data/dataset.ts';

const batch = (n = 6, c = 2, h = 7, w = 5): Dataset =>
  dataset(uniform(key(11), [n, c, h, w], 0.1, 1), Int32Array.from({ length: n }, (_, i) => i % 3));
const copyOf = (d: Dataset) => ({ x: Float32Array.from(d.x.data), labels: Int32Array.from(d.labels) });
const maxDiff = (a: Tensor, b: Tensor): number => {
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
};

const augs: Readonly<Record<string, Augment>> = {
  'randomCrop(2)': randomCrop(2),
  'horizontalFlip()': horizontalFlip(),
  'randomAffine(15°, 0.8–1.2)': randomAffine({ maxDegrees: 15, scale: [0.8, 1.2] }),
  compose: compose(randomCrop(1), horizontalFlip(), randomAffine({ maxDegrees: 5 })),
};

describe('augment', () => {
  for (const [name, aug] of Object.entries(augs)) {
    describe(name, () => {
      it('is deterministic by key, and different keys give different batches', () => {
        const b = batch();
        const a1 = aug(key(1), b);
        const a2 = aug(key(1), b);
        expect(Buffer.compare(Buffer.from(unsafeMutableData(a1.x).buffer), Buffer.from(unsafeMutableData(a2.x).buffer))).to.equal(0);
        const others = [2, 3, 4, 5].map((s) => aug(key(s), b));
        expect(others.some((o) => maxDiff(o.x, a1.x) > 0)).to.equal(true);
      });

      it('keeps shape, dtype and labels, and never mutates its input', () => {
        const b = batch();
        const before = copyOf(b);
        const out = aug(key(7), b);
        expect(out.x.shape).to.deep.equal(b.x.shape);
        expect(out.x.dtype).to.equal('float32');
        expect([...out.labels]).to.deep.equal([...before.labels]);
        expect(Buffer.compare(Buffer.from(unsafeMutableData(b.x).buffer), Buffer.from(before.x.buffer))).to.equal(0);
        expect([...b.labels]).to.deep.equal([...before.labels]);
      });
    });
  }

  it('randomCrop(0) is the identity', () => {
    const b = batch();
    expect(maxDiff(randomCrop(0)(key(1), b).x, b.x)).to.equal(0);
  });

  it('randomCrop shifts each image by at most pad, filling with zeros', () => {
    // one 1-pixel image per position: after the crop the pixel moves by ≤ 1 or falls off
    const x = fromArray([0, 0, 0, 0, 1, 0, 0, 0, 0], [1, 1, 3, 3]);
    const seen = new Set<string>();
    for (let s = 0; s < 40; s++) {
      const out = randomCrop(1)(key(s), dataset(x, [0])).x.data;
      expect([...out].reduce((a, v) => a + v, 0)).to.equal(1);
      seen.add([...out].join(''));
    }
    expect(seen.size).to.equal(9); // every shift in [-1, 1]² happens
  });

  it('flipping twice with the same key is the identity; p=1 mirrors every row', () => {
    const b = batch();
    const f = horizontalFlip();
    expect(maxDiff(f(key(3), f(key(3), b)).x, b.x)).to.equal(0);
    const once = horizontalFlip(1)(key(0), dataset(fromArray([1, 2, 3, 4, 5, 6], [1, 1, 2, 3]), [0]));
    expect([...once.x.data]).to.deep.equal([3, 2, 1, 6, 5, 4]);
    expect(maxDiff(horizontalFlip(0)(key(0), b).x, b.x)).to.equal(0);
  });

  it('rotation by 0 and scale 1 is the identity (within 1e-6)', () => {
    const b = batch(4, 1, 28, 28);
    expect(maxDiff(randomAffine({ maxDegrees: 0, scale: [1, 1] })(key(9), b).x, b.x)).to.be.below(1e-6);
  });

  it('scaling by 2 about the centre samples bilinearly between pixels', () => {
    const x = fromArray([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 5, 5]);
    const out = randomAffine({ maxDegrees: 0, scale: [2, 2] })(key(1), dataset(x, [0])).x.data;
    expect(out[12]).to.equal(1);
    expect([out[7], out[11], out[13], out[17]]).to.deep.equal([0.5, 0.5, 0.5, 0.5]);
    expect(out[6]).to.equal(0.25);
    expect(out[0]).to.equal(0);
  });

  it('refuses non-NCHW input with the shape in the message', () => {
    const flat = dataset(uniform(key(1), [2, 9]), [0, 1]);
    expect(() => randomCrop(1)(key(1), flat)).to.throw(/randomCrop: expects NCHW images \(rank 4\), got shape \[2,9\]/);
  });

  describe('augmentationFor', () => {
    it('digits get no flip; Fashion-MNIST does', () => {
      expect(() => augmentationFor('mnist', ['flip'])).to.throw(/"flip" does not preserve mnist labels/);
      expect(augmentationFor('fashion-mnist', ['flip'])).to.be.a('function');
      expect(augmentationFor('mnist', ['none'])).to.equal(undefined);
      expect(augmentationFor('mnist', [])).to.equal(undefined);
      expect(() => augmentationFor('cifar', ['crop'])).to.throw(/unknown dataset "cifar"/);
    });

    it('the presets differ in flipping: a left–right asymmetric image', () => {
      const x = fromArray(Array.from({ length: 28 * 28 }, (_, i) => ((i % 28) < 14 ? 1 : 0)), [1, 1, 28, 28]);
      const d = dataset(x, [0]);
      const mn = augmentationFor('mnist', ['default']);
      const fa = augmentationFor('fashion-mnist', ['default']);
      expect(mn).to.be.a('function');
      expect(fa).to.be.a('function');
      if (!mn || !fa) return;
      const leftHeavy = (t: Tensor): boolean => {
        let l = 0; let r = 0;
        t.data.forEach((v, i) => { if (i % 28 < 14) l += v; else r += v; });
        return l > r;
      };
      const keys = Array.from({ length: 20 }, (_, s) => key(s));
      expect(keys.every((k) => leftHeavy(mn(k, d).x))).to.equal(true);
      expect(keys.some((k) => !leftHeavy(fa(k, d).x))).to.equal(true);
    });

    it('works on flattened batches, viewed as the dataset\'s images, with the bits of NCHW ones', () => {
      const images = uniform(key(1), [3, 1, 28, 28]);
      const aug = augmentationFor('mnist', ['crop', 'affine']);
      const flat = aug?.(key(2), dataset(reshape(images, [3, 784]), [0, 1, 2]));
      const nchw = aug?.(key(2), dataset(images, [0, 1, 2]));
      expect(flat?.x.shape).to.deep.equal([3, 784]);
      expect(nchw?.x.shape).to.deep.equal([3, 1, 28, 28]);
      expect([...(flat?.x.data ?? [])]).to.deep.equal([...(nchw?.x.data ?? [])]);
    });

    it('expands default to the preset, running a transform named twice once', () => {
      const d = dataset(uniform(key(1), [2, 1, 28, 28]), [0, 1]);
      const twice = augmentationFor('mnist', ['crop', 'default', 'crop']);
      const preset = augmentationFor('mnist', ['default']);
      expect([...(twice?.(key(3), d).x.data ?? [])]).to.deep.equal([...(preset?.(key(3), d).x.data ?? [])]);
    });
  });

  describe('test-time augmentation', () => {
    it('gives the input first, then deterministic augmented views', () => {
      const b = batch();
      const v1 = ttaViews(key(1), b.x, horizontalFlip(), 4);
      const v2 = ttaViews(key(1), b.x, horizontalFlip(), 4);
      expect(v1).to.have.length(4);
      expect(v1[0]).to.equal(b.x);
      v1.forEach((t, i) => expect(maxDiff(t, v2[i])).to.equal(0));
      expect(() => ttaViews(key(1), b.x, horizontalFlip(), 0)).to.throw(/views must be a whole number ≥ 1/);
    });

    it('averages the probabilities of the views', () => {
      const m = meanOf([fromArray([1, 0], [1, 2]), fromArray([0, 1], [1, 2]), fromArray([0.5, 0.5], [1, 2])]);
      expect([...m.data]).to.deep.equal([0.5, 0.5]);
      const b = batch(2, 1, 3, 3);
      const p = ttaPredict(key(1), b.x, horizontalFlip(1), 2, () => fromArray([0.2, 0.8, 0.6, 0.4], [2, 2]));
      expect([...p.data].map((v) => Math.round(v * 10) / 10)).to.deep.equal([0.2, 0.8, 0.6, 0.4]);
    });
  });
});
