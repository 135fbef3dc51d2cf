/** A member's test-set predictions, as the ensemble averages them: optionally over test-time augmentation views. */
import { augmentationFor } from '../augment/presets.ts';
import { ttaPredict } from '../augment/tta.ts';
import { toFloatDataset, type Examples } from '../data/dataset.ts';
import type { DatasetName } from '../data/registry.ts';
import type { Layer, Variables } from '../layers/layer.ts';
import { argmax } from '../ops/reduce.ts';
import { foldIn, key } from '../random.ts';
import type { Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { accuracyOf, predictProbabilities } from '../train/model.ts';

/** Class probabilities of every test example ([examples × classes] row-major), and the accuracy they give. */
export interface TestPredictions {
  readonly probabilities: Float32Array;
  readonly classes: number;
  readonly testAccuracy: number;
}

/**
 * Member `index`'s predictions on `test`, averaged over `tta` augmented views when tta > 1. The
 * views' key depends only on the run seed and the index, so a member predicted again (from its
 * checkpoint, by a queue's coordinator) gives the same probabilities.
 */
export const memberTestPredictions = (
  net: Layer, vars: Variables, dataset: DatasetName, test: Examples, seed: number, index: number, tta: number,
): TestPredictions => {
  const augment = tta > 1 ? augmentationFor(dataset, ['default']) : undefined;
  const probs = augment === undefined
    ? predictProbabilities(net, vars, test)
    : ttaPredict(foldIn(key(seed), 1_000_000 + index), toFloatDataset(test).x, augment, tta, (x: Tensor) => predictProbabilities(net, vars, x));
  return {
    probabilities: Float32Array.from(unsafeMutableData(probs)),
    classes: probs.shape[1],
    testAccuracy: accuracyOf(argmax(probs, 1), test.labels),
  };
};
