import { expect } from 'chai';
import {
  add, arange, argmax, concat, div, fromArray, full, gather, matmul, max, mean, mul, ones, reshape,
  sliceBatch, stack, sub, sum, tensor, toNested, transpose, zeros, maximum, exp, log, cast,
} from '../lib/index.ts';

describe('tensor', () => {
  it('builds from nested arrays and refuses ragged ones', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).to.deep.equal([2, 3]);
    expect(t.dtype).to.equal('float32');
    expect(Array.from(t.data)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(() => tensor([[1, 2], [3]])).to.throw(/ragged/);
  });

  it('is frozen: shape cannot be changed', () => {
    const t = zeros([2, 2]);
    expect(Object.isFrozen(t)).to.equal(true);
    expect(Object.isFrozen(t.shape)).to.equal(true);
  });

  it('makes constants and ranges', () => {
    expect(Array.from(full([3], 7).data)).to.deep.equal([7, 7, 7]);
    expect(Array.from(ones([2]).data)).to.deep.equal([1, 1]);
    expect(Array.from(arange(2, 8, 2).data)).to.deep.equal([2, 4, 6]);
    expect(arange(5, undefined, 1, 'float64').dtype).to.equal('float64');
  });

  it('reshapes without copying and infers -1', () => {
    const t = arange(6);
    const r = reshape(t, [2, -1]);
    expect(r.shape).to.deep.equal([2, 3]);
    expect(r.data).to.equal(t.data);
    expect(() => reshape(t, [4, 2])).to.throw(/cannot reshape \[6\].*\[4,2\]/);
  });

  it('transposes any permutation', () => {
    const t = reshape(arange(24), [2, 3, 4]);
    const p = transpose(t, [2, 0, 1]);
    expect(p.shape).to.deep.equal([4, 2, 3]);
    const nested = toNested(t) as number[][][];
    const pn = toNested(p) as number[][][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(pn[k][i][j]).to.equal(nested[i][j][k]);
    expect(toNested(transpose(tensor([[1, 2], [3, 4]])))).to.deep.equal([[1, 3], [2, 4]]);
  });

  it('slices and gathers batches', () => {
    const t = reshape(arange(12), [4, 3]);
    const s = sliceBatch(t, 1, 3);
    expect(toNested(s)).to.deep.equal([[3, 4, 5], [6, 7, 8]]);
    expect(toNested(gather(t, [3, 0]))).to.deep.equal([[9, 10, 11], [0, 1, 2]]);
    expect(() => sliceBatch(t, 2, 5)).to.throw(/outside the batch of 4/);
  });

  it('concatenates and stacks', () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[3, 4], [5, 6]]);
    expect(toNested(concat([a, b], 0))).to.deep.equal([[1, 2], [3, 4], [5, 6]]);
    expect(toNested(concat([tensor([[1], [2]]), tensor([[3], [4]])], 1))).to.deep.equal([[1, 3], [2, 4]]);
    expect(toNested(stack([tensor([1, 2]), tensor([3, 4])], 1))).to.deep.equal([[1, 3], [2, 4]]);
    expect(() => concat([a, tensor([[1, 2, 3]])], 0)).to.throw(/concat: shapes \[1,2\], \[1,3\]/);
  });

  it('broadcasts elementwise ops as NumPy does', () => {
    const m = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(toNested(add(m, tensor([10, 20, 30])))).to.deep.equal([[11, 22, 33], [14, 25, 36]]);
    expect(toNested(sub(m, tensor([[1], [4]])))).to.deep.equal([[0, 1, 2], [0, 1, 2]]);
    expect(toNested(mul(tensor([[2], [3]]), tensor([1, 10])))).to.deep.equal([[2, 20], [3, 30]]);
    expect(toNested(div(m, 2))).to.deep.equal([[0.5, 1, 1.5], [2, 2.5, 3]]);
    expect(toNested(maximum(tensor([-1, 2]), 0))).to.deep.equal([0, 2]);
    const e = toNested(log(exp(tensor([1, 2], 'float64')))) as number[];
    expect(e[0]).to.be.closeTo(1, 1e-12);
  });

  it('names the op and both shapes when shapes do not broadcast', () => {
    expect(() => add(zeros([2, 3]), zeros([2, 2]))).to.throw('add: shapes [2,3] and [2,2] cannot be broadcast together');
    expect(() => matmul(zeros([2, 3]), zeros([2, 3]))).to.throw(/matmul: inner dimensions differ \(3 vs 2\) for \[2,3\] and \[2,3\]/);
    expect(() => add(zeros([2]), zeros([2], 'float64'))).to.throw(/dtypes float32 and float64/);
  });

  it('reduces along axes', () => {
    const m = tensor([[1, 5, 3], [4, 2, 6]]);
    expect(toNested(sum(m, 0))).to.deep.equal([5, 7, 9]);
    expect(toNested(sum(m, 1, true))).to.deep.equal([[9], [12]]);
    expect(toNested(mean(m, -1))).to.deep.equal([3, 4]);
    expect(toNested(max(m, 1))).to.deep.equal([5, 6]);
    expect(toNested(sum(m))).to.equal(21);
    expect(Array.from(argmax(m, 1))).to.deep.equal([1, 2]);
    expect(Array.from(argmax(m, 0))).to.deep.equal([1, 0, 1]);
    expect(() => sum(m, 2)).to.throw(/axis 2 is out of range for shape \[2,3\]/);
  });

  it('multiplies matrices with every transpose flag', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]], 'float64');
    const b = tensor([[7, 8], [9, 10], [11, 12]], 'float64');
    const expected = [[58, 64], [139, 154]];
    expect(toNested(matmul(a, b))).to.deep.equal(expected);
    expect(toNested(matmul(transpose(a), b, { transposeA: true }))).to.deep.equal(expected);
    expect(toNested(matmul(a, transpose(b), { transposeB: true }))).to.deep.equal(expected);
    expect(toNested(matmul(transpose(a), transpose(b), { transposeA: true, transposeB: true }))).to.deep.equal(expected);
  });

  it('never changes its inputs', () => {
    const a = fromArray([1, 2, 3, 4], [2, 2]);
    const before = Array.from(a.data);
    add(a, a); matmul(a, a); transpose(a); sum(a, 0); cast(a, 'float64');
    expect(Array.from(a.data)).to.deep.equal(before);
  });
});

describe('transpose fast path', () => {
  it('agrees with the general permutation for batched swaps and others', async () => {
    const { normal, key } = await import('../lib/random.ts');
    const t4 = normal(key(1), [3, 5, 7, 4]);
    const naive = (t: typeof t4, perm: number[]) => {
      const shape = perm.map((p) => t.shape[p]);
      const out: number[] = [];
      const strides = [t.shape[1] * t.shape[2] * t.shape[3], t.shape[2] * t.shape[3], t.shape[3], 1];
      const idx = [0, 0, 0, 0];
      const walk = (d: number): void => {
        if (d === 4) { let o = 0; for (let i = 0; i < 4; i++) o += idx[i] * strides[perm[i]]; out.push(t.data[o]); return; }
        for (let i = 0; i < shape[d]; i++) { idx[d] = i; walk(d + 1); }
      };
      walk(0);
      return out;
    };
    for (const perm of [[0, 3, 1, 2], [0, 2, 3, 1], [2, 3, 0, 1], [0, 1, 3, 2], [3, 2, 1, 0], [1, 0, 2, 3]]) {
      expect(Array.from(transpose(t4, perm).data), perm.join(',')).to.deep.equal(naive(t4, perm));
    }
  });
});
