/** Combining ensemble members: averaged softmax outputs and majority vote. */
import { argmax } from '../ops/reduce.ts';
import { showShape, wrap, type Tensor } from '../tensor.ts';

const checkSameShape = (probs: readonly Tensor[]): void => {
  if (probs.length === 0) throw new Error('ensemble: no members to combine');
  for (const p of probs) {
    if (p.shape.length !== 2 || p.shape[0] !== probs[0].shape[0] || p.shape[1] !== probs[0].shape[1]) {
      throw new Error(`ensemble: member outputs ${probs.map((q) => showShape(q.shape)).join(', ')} differ`);
    }
  }
};

/** The mean of the members' class probabilities, [examples, classes]. */
export const averageProbabilities = (probs: readonly Tensor[]): Tensor => {
  checkSameShape(probs);
  const out = new Float64Array(probs[0].size);
  for (const p of probs) for (let i = 0; i < out.length; i++) out[i] += p.data[i];
  for (let i = 0; i < out.length; i++) out[i] /= probs.length;
  return wrap(out, probs[0].shape);
};

/**
 * Majority vote of the members' predicted classes; ties go to the class with the larger summed
 * probability, so the vote is deterministic.
 */
export const majorityVote = (probs: readonly Tensor[]): Int32Array => {
  checkSameShape(probs);
  const [n, classes] = probs[0].shape;
  const predictions = probs.map((p) => argmax(p, 1));
  const mean = averageProbabilities(probs);
  const out = new Int32Array(n);
  const votes = new Int32Array(classes);
  for (let i = 0; i < n; i++) {
    votes.fill(0);
    for (const pred of predictions) votes[pred[i]]++;
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (votes[c] > votes[best] || (votes[c] === votes[best] && mean.data[i * classes + c] > mean.data[i * classes + best])) best = c;
    }
    out[i] = best;
  }
  return out;
};
