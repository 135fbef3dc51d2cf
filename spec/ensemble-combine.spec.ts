import { expect } from 'chai';
import { averageProbabilities, majorityVote } from '../lib/ensemble/combine.ts';
import { tensor, toNested } from '../lib/index.ts';

describe('ensemble: combining members', () => {
  const a = tensor([[0.6, 0.4, 0.0], [0.1, 0.2, 0.7]]);
  const b = tensor([[0.2, 0.8, 0.0], [0.1, 0.6, 0.3]]);
  const c = tensor([[0.5, 0.5, 0.0], [0.0, 0.45, 0.55]]);

  it('averages probabilities', () => {
    const m = toNested(averageProbabilities([a, b])) as number[][];
    expect(m[0][0]).to.be.closeTo(0.4, 1e-7);
    expect(m[1][2]).to.be.closeTo(0.5, 1e-7);
  });

  it('votes by majority and breaks ties by summed probability', () => {
    // example 0: votes 0, 1, 0 (tie 0.5/0.5 argmax picks the first) → 0; example 1: votes 2, 1, 2 → 2
    expect(Array.from(majorityVote([a, b, c]))).to.deep.equal([0, 2]);
    // two members that disagree: the tie goes to the larger mean probability
    expect(Array.from(majorityVote([a, b]))).to.deep.equal([1, 2]);
  });

  it('refuses members with different output shapes', () => {
    expect(() => averageProbabilities([a, tensor([[1, 0]])])).to.throw(/member outputs \[2,3\], \[1,2\] differ/);
    expect(() => majorityVote([])).to.throw(/no members/);
  });
});
