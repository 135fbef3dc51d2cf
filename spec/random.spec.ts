import { expect } from 'chai';
import { bernoulli, bits, foldIn, key, normal, permutation, split, threefry2x32, uniform } from '../lib/random.ts';

describe('random keys', () => {
  it('matches the Threefry-2x32-20 known-answer vectors of Random123', () => {
    expect(threefry2x32([0, 0], 0, 0).map((x) => x.toString(16))).to.deep.equal(['6b200159', '99ba4efe']);
    expect(threefry2x32([0xffffffff, 0xffffffff], 0xffffffff, 0xffffffff).map((x) => x.toString(16))).to.deep.equal(['1cb996fc', 'bb002be7']);
    expect(threefry2x32([0x13198a2e, 0x03707344], 0x243f6a88, 0x85a308d3).map((x) => x.toString(16))).to.deep.equal(['c4923a9c', '483df7a0']);
  });

  it('gives the same numbers for the same key and different ones for split keys', () => {
    const k = key(42);
    expect(Array.from(bits(k, 8))).to.deep.equal(Array.from(bits(key(42), 8)));
    const [a, b] = split(k);
    expect(Array.from(bits(a, 4))).to.not.deep.equal(Array.from(bits(b, 4)));
    expect(Array.from(bits(foldIn(k, 1), 4))).to.not.deep.equal(Array.from(bits(foldIn(k, 2), 4)));
  });

  it('draws uniform and normal samples with the right moments', () => {
    const u = uniform(key(1), [20000], -2, 2);
    let mn = Infinity; let mx = -Infinity; let s = 0;
    for (const v of u.data) { mn = Math.min(mn, v); mx = Math.max(mx, v); s += v; }
    expect(mn).to.be.at.least(-2);
    expect(mx).to.be.below(2);
    expect(s / u.size).to.be.closeTo(0, 0.05);
    const n = normal(key(2), [20001], 1, 3, 'float64');
    let m = 0; for (const v of n.data) m += v; m /= n.size;
    let v2 = 0; for (const v of n.data) v2 += (v - m) ** 2; v2 /= n.size;
    expect(m).to.be.closeTo(1, 0.1);
    expect(Math.sqrt(v2)).to.be.closeTo(3, 0.1);
  });

  it('permutes every index exactly once', () => {
    const p = permutation(key(3), 1000);
    expect(Array.from(p).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p.subarray(0, 10))).to.not.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('draws Bernoulli masks with probability p', () => {
    const b = bernoulli(key(4), 0.3, [10000]);
    let ones = 0; for (const v of b.data) { expect(v === 0 || v === 1).to.equal(true); ones += v; }
    expect(ones / 10000).to.be.closeTo(0.3, 0.02);
    expect(() => bernoulli(key(4), 1.5, [1])).to.throw(/p must be in \[0, 1\]/);
  });
});
