/** Confusion matrices: counts of (true class, predicted class) pairs. */

/** counts[t][p]: examples of true class t predicted as p. Refuses labels outside 0..classes-1. */
export const confusionMatrix = (predicted: ArrayLike<number>, labels: ArrayLike<number>, classes: number): readonly (readonly number[])[] => {
  if (predicted.length !== labels.length) throw new Error(`confusionMatrix: ${predicted.length} predictions for ${labels.length} labels`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predicted[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes) || !Number.isInteger(t) || !Number.isInteger(p)) {
      throw new Error(`confusionMatrix: example ${i} has label ${t} and prediction ${p}, outside 0..${classes - 1}`);
    }
    m[t][p]++;
  }
  return m;
};
