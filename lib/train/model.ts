/** A model: a network layer, its loss and its trained values; prediction and evaluation in batches. */
import { softmax } from '../ops/activations.ts';
import { inferenceCtx, type Layer, type Variables } from '../layers/layer.ts';

export type { Variables } from '../layers/layer.ts';
import type { Loss } from '../losses.ts';
import { argmax } from '../ops/reduce.ts';
import { concat } from '../ops/shape.ts';
import { key } from '../random.ts';
import type { Tensor } from '../tensor.ts';
import { orderedBatches, type Examples } from '../data/dataset.ts';

/** A network and the loss it is trained with. */
export interface Model {
  readonly net: Layer;
  readonly loss: Loss;
}


/** Network outputs (logits) for all inputs (a tensor or a dataset's), in inference mode, in batches. */
export const predictLogits = (net: Layer, v: Variables, inputs: Tensor | Examples, batchSize = 100): Tensor => {
  const d: Examples = 'dtype' in inputs ? { x: inputs, labels: new Int32Array(inputs.shape[0]) } : inputs;
  const parts: Tensor[] = [];
  for (const b of orderedBatches(d, batchSize)) parts.push(net.forward(v.params, b.x, inferenceCtx(key(0), v.state)).y);
  return concat(parts, 0);
};

/** Class probabilities (softmax of the logits) for all inputs. */
export const predictProbabilities = (net: Layer, v: Variables, inputs: Tensor | Examples, batchSize = 100): Tensor =>
  softmax(predictLogits(net, v, inputs, batchSize));

/** Fraction of predictions equal to the labels. */
export const accuracyOf = (predicted: ArrayLike<number>, labels: ArrayLike<number>): number => {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) hits++;
  return labels.length === 0 ? 0 : hits / labels.length;
};

/** Accuracy of a network on a dataset, in inference mode. */
export const evaluateAccuracy = (net: Layer, v: Variables, d: Examples, batchSize = 100): number => {
  let hits = 0;
  for (const b of orderedBatches(d, batchSize)) {
    const predicted = argmax(net.forward(v.params, b.x, inferenceCtx(key(0), v.state)).y, -1);
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === b.labels[i]) hits++;
  }
  return d.labels.length === 0 ? 0 : hits / d.labels.length;
};

/** Accuracy and mean loss of a model on a dataset, in inference mode (the mean is over examples). */
export const evaluateModel = (model: Model, v: Variables, d: Examples, batchSize = 100): { readonly accuracy: number; readonly meanLoss: number } => {
  let hits = 0;
  let lossSum = 0;
  for (const b of orderedBatches(d, batchSize)) {
    const y = model.net.forward(v.params, b.x, inferenceCtx(key(0), v.state)).y;
    lossSum += model.loss(y, b.labels).value * b.labels.length;
    const predicted = argmax(y, -1);
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === b.labels[i]) hits++;
  }
  const n = d.labels.length;
  return { accuracy: n === 0 ? 0 : hits / n, meanLoss: n === 0 ? 0 : lossSum / n };
};
