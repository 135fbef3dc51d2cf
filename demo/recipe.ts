/**
 * How the demo trains, as `npm run train` does with its defaults (SGD, learning rate 0.1,
 * batches of 100, the model's own init, key(seed)): shared by the training worker and the
 * browser test, which trains the same run in Node to compare bits and speed.
 */
import {
  byteDataset, initTrainState, key, models, optimizerByName, scheduleByName, smoothedSoftmaxCrossEntropy, batchesPerEpoch,
  headOfDataset, type ByteDataset, type Examples, type Model, type Optimizer, type TrainState,
} from '../lib/browser.ts';
import type { DemoModel } from './protocol.ts';

/** Examples per step. */
export const BATCH_SIZE = 100;

/** The same images as N×784 rows, for the MLP. */
export const flatImages = (d: ByteDataset): ByteDataset => byteDataset(d.bytes, [d.labels.length, 784], d.table, d.labels);

/** A run: the model, its optimizer, the starting state and the examples it trains on (the first `limit`, when given). */
export interface Recipe {
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly initial: TrainState;
  readonly train: Examples;
  readonly test: Examples;
  readonly flat: boolean;
}

/** The run for a model on MNIST's byte datasets (N×1×28×28). */
export const recipe = (name: DemoModel, data: { readonly train: ByteDataset; readonly test: ByteDataset }, epochs: number, seed: number, limit?: number): Recipe => {
  const entry = models[name];
  const all = entry.flatInput ? flatImages(data.train) : data.train;
  const train = limit === undefined ? all : headOfDataset(all, limit);
  const model = { net: entry.build({ hidden: [50], classes: 10 }), loss: smoothedSoftmaxCrossEntropy(0) };
  const steps = batchesPerEpoch(train, BATCH_SIZE);
  const optimizer = optimizerByName('sgd', scheduleByName('constant', 0.1, steps * epochs, steps), 0);
  const initial = initTrainState(model, optimizer, key(seed), entry.flatInput ? [784] : [1, 28, 28]);
  return { model, optimizer, initial, train, test: entry.flatInput ? flatImages(data.test) : data.test, flat: entry.flatInput };
};
