// A strict TypeScript user of the installed tarball: type-checked against the shipped .d.ts files only.
import { adam, fit, inferenceCtx, initTrainState, key, zeros, sequential, affine, reluLayer, softmaxCrossEntropy, type History, type Tensor, type TrainState } from 'tenfold';
import { loadDataset, splitValidation, type TrainTest } from 'tenfold/data';
import { augmentationFor, type Augment } from 'tenfold/augment';
import { models, type ModelName } from 'tenfold/models';
import { loadModel, runJob, type JobConfig, type SavedModel } from 'tenfold/checkpoint';
import { planEnsemble, trainEnsemble, type EnsembleRun, type MemberEvent } from 'tenfold/ensemble';
import { progress, type Progress } from 'tenfold/report';

const data: TrainTest = loadDataset('mnist', true);
const split = splitValidation(data.train, 100, key(1));
const net = sequential(affine(8), reluLayer(), affine(10));
const model = { net, loss: softmaxCrossEntropy };
const state: TrainState = initTrainState(model, adam(0.01), key(2), data.inputShape);
const history: History = fit(model, adam(0.01), state, { train: split.train, validation: split.validation, epochs: 1, batchSize: 100 }).history;
const augment: Augment | undefined = augmentationFor('mnist', ['crop']);
const name: ModelName = 'mlp';
const config: JobConfig = {
  model: name, hidden: [8], optimizer: 'adam', lr: 0.01, schedule: 'constant', batchSize: 100, epochs: 1, weightDecay: 0, dataset: 'mnist', augment: ['none'],
};
const pending: Promise<EnsembleRun> = trainEnsemble('/tmp/x', planEnsemble('quick', 1), { onEvent: (e: MemberEvent) => { if (e.kind === 'epoch') console.log(e.record.testAccuracy); } });
const bar: Progress = progress({ quiet: true });
const saved: (file: string) => SavedModel = loadModel;
const y: Tensor = net.forward(state.params, zeros([1, 784]), inferenceCtx(key(0), state.state)).y;
export { augment, bar, config, history, models, pending, runJob, saved, y };
