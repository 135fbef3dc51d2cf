/** Accuracy of each member, of the averaged ensemble and of the majority vote. */
import { argmax } from '../ops/reduce.ts';
import { wrap, type Tensor } from '../tensor.ts';
import { accuracyOf } from '../train/model.ts';
import { averageProbabilities, majorityVote } from './combine.ts';
import type { MemberOutcome } from './member-task.ts';

/** The figures an ensemble run reports. */
export interface EnsembleSummary {
  readonly members: readonly MemberOutcome[];
  readonly ensembleAccuracy: number;
  readonly voteAccuracy: number;
  readonly bestMemberAccuracy: number;
  /** Predicted classes of the averaged ensemble, in test-set order. */
  readonly predicted: Int32Array;
}

/** Combines member outcomes (sorted by index) against the true labels. */
export const summariseEnsemble = (outcomes: readonly MemberOutcome[], labels: ArrayLike<number>): EnsembleSummary => {
  const members = [...outcomes].sort((a, b) => a.index - b.index);
  const probs: Tensor[] = members.map((m) => wrap(m.probabilities, [labels.length, m.classes]));
  const predicted = argmax(averageProbabilities(probs), 1);
  return {
    members,
    ensembleAccuracy: accuracyOf(predicted, labels),
    voteAccuracy: accuracyOf(majorityVote(probs), labels),
    bestMemberAccuracy: Math.max(...members.map((m) => m.testAccuracy)),
    predicted,
  };
};
