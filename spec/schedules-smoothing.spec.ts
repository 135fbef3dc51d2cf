/** One-cycle and warm-restart schedules, and label-smoothed cross-entropy checked against its definition and a numerical gradient. */
import { expect } from 'chai';
import { cosineWarmRestarts, fromArray, normal, key, oneCycle, smoothedSoftmaxCrossEntropy, softmax, softmaxCrossEntropy } from '../lib/index.ts';
import { scheduleByName } from '../lib/optim/schedule-names.ts';

describe('schedules for time to accuracy', () => {
  it('one-cycle rises from max/25 to max over 30% of the steps, then falls to about max/25e4', () => {
    const s = oneCycle(0.1, 1000);
    expect(s(0)).to.be.closeTo(0.004, 1e-12);
    expect(s(300)).to.be.closeTo(0.1, 1e-12);
    expect(s(1000)).to.be.closeTo(0.1 / 25 / 1e4, 1e-12);
    for (let i = 1; i <= 300; i++) expect(s(i)).to.be.at.least(s(i - 1));
    for (let i = 301; i <= 1000; i++) expect(s(i)).to.be.at.most(s(i - 1));
  });

  it('warm restarts: cosine cycles back at the full rate, each mult times longer', () => {
    const s = cosineWarmRestarts(0.2, 100);
    expect(s(0)).to.equal(0.2);
    expect(s(99)).to.be.below(0.001);
    expect(s(100)).to.equal(0.2);
    expect(s(250)).to.be.closeTo(s(50), 1e-15);
    const grow = cosineWarmRestarts(1, 10, { mult: 2, alpha: 0.1 });
    expect(grow(10)).to.equal(1);
    expect(grow(30)).to.equal(1); // the second cycle is 20 steps
    expect(grow(29)).to.be.closeTo(0.1, 0.01);
    expect(() => cosineWarmRestarts(1, 0)).to.throw(/cycleSteps must be ≥ 1/);
  });

  it('the command-line names size them to the run', () => {
    expect(scheduleByName('one-cycle', 0.01, 600, 100)(180)).to.be.closeTo(0.01, 1e-12);
    const restarts = scheduleByName('warm-restarts', 0.01, 600, 100, 3);
    expect([0, 200, 400].map(restarts)).to.deep.equal([0.01, 0.01, 0.01]);
  });
});

describe('label smoothing', () => {
  const logits = normal(key(1), [4, 5], 0, 2, 'float64');
  const labels = [0, 3, 1, 4];

  it('ε = 0 is plain softmax cross-entropy', () => expect(smoothedSoftmaxCrossEntropy(0)).to.equal(softmaxCrossEntropy));

  it('the value is the cross-entropy against (1 − ε)·one-hot + ε/K', () => {
    const eps = 0.1;
    const p = softmax(logits);
    let want = 0;
    for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) want -= (eps / 5 + (j === labels[i] ? 1 - eps : 0)) * Math.log(p.data[i * 5 + j]);
    expect(smoothedSoftmaxCrossEntropy(eps)(logits, labels).value).to.be.closeTo(want / 4, 1e-12);
  });

  it('dy is the gradient of the value (central differences, float64)', () => {
    const loss = smoothedSoftmaxCrossEntropy(0.2);
    const { dy } = loss(logits, labels);
    const h = 1e-6;
    for (let k = 0; k < logits.size; k++) {
      const at = (d: number) => { const x = Float64Array.from(logits.data); x[k] += d; return loss(fromArray(x, [4, 5], 'float64'), labels).value; };
      expect(dy.data[k]).to.be.closeTo((at(h) - at(-h)) / (2 * h), 1e-8);
    }
    expect(() => smoothedSoftmaxCrossEntropy(1)).to.throw(/ε must be in \[0, 1\)/);
  });
});
