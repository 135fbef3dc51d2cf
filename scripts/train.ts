/** Trains one model on MNIST or Fashion-MNIST and reports accuracy: `npm run train -- --help`. */
import { datasetNames, loadDataset } from '../lib/data/datasets.ts';
import { initializers } from '../lib/init.ts';
import { activeKernels } from '../lib/kernels/backend.ts';
import { softmaxCrossEntropy } from '../lib/losses.ts';
import { initNames, modelNames, models } from '../lib/models/registry.ts';
import { optimizerByName, optimizerNames } from '../lib/optim/optimizers.ts';
import { key } from '../lib/random.ts';
import { fit, initTrainState } from '../lib/train/fit.ts';
import { paramsSha256 } from '../lib/train/hash.ts';
import { parseFlags, runMain, usage } from '../lib/cli/args.ts';
import { NonNegativeInt, NonNegativeNumber, oneOf, PositiveInt, PositiveIntList, PositiveNumber } from '../lib/cli/codecs.ts';

const specs = {
  model: { codec: oneOf(modelNames), default: 'mlp', help: `model: ${modelNames.join('|')}` },
  hidden: { codec: PositiveIntList, default: '50', help: 'hidden layer sizes of an MLP, e.g. 100,50' },
  optimizer: { codec: oneOf(optimizerNames), default: 'sgd', help: `optimizer: ${optimizerNames.join('|')}` },
  lr: { codec: PositiveNumber, default: '0.1', help: 'learning rate' },
  'batch-size': { codec: PositiveInt, default: '100', help: 'examples per minibatch' },
  epochs: { codec: PositiveInt, default: '17', help: 'passes over the training set' },
  seed: { codec: NonNegativeInt, default: '1', help: 'random seed (same seed, same result)' },
  init: { codec: oneOf(initNames), help: `weight init: ${initNames.join('|')} (default: the model's own, He for ReLU nets)` },
  'weight-decay': { codec: NonNegativeNumber, default: '0', help: 'L2 weight decay λ (AdamW: decoupled decay)' },
  dataset: { codec: oneOf(datasetNames), default: 'mnist', help: `dataset: ${datasetNames.join('|')}` },
  json: { codec: 'boolean', help: 'print one JSON object as the last line' },
  help: { codec: 'boolean', help: 'show this help' },
} as const;

runMain('train', specs, () => {
  const flags = parseFlags(process.argv.slice(2), specs);
  if (flags.help) { process.stdout.write(`${usage('train', specs)}\n`); return; }
  const entry = models[flags.model];
  const data = loadDataset(flags.dataset, entry.flatInput);
  const model = {
    net: entry.build({ hidden: flags.hidden, classes: data.classes, init: flags.init ? initializers[flags.init] : undefined }),
    loss: softmaxCrossEntropy,
  };
  const optimizer = optimizerByName(flags.optimizer, flags.lr, flags['weight-decay']);
  const started = performance.now();
  const initial = initTrainState(model, optimizer, key(flags.seed), data.inputShape);
  process.stdout.write(`training ${flags.model} on ${data.name} with ${flags.optimizer} (lr ${flags.lr}), kernels: ${activeKernels().name}\n`);
  const { state, history } = fit(model, optimizer, initial, {
    train: data.train, test: data.test, epochs: flags.epochs, batchSize: flags['batch-size'],
    onEpoch: (_s, h) => {
      const e = h.epochs[h.epochs.length - 1];
      process.stdout.write(`epoch ${e.epoch}/${flags.epochs}  loss ${e.meanLoss.toFixed(4)}  train ${(100 * e.trainAccuracy).toFixed(2)}%  test ${(100 * (e.testAccuracy ?? 0)).toFixed(2)}%  ${e.seconds.toFixed(1)} s\n`);
    },
  });
  const last = history.epochs[history.epochs.length - 1];
  const summary = {
    model: flags.model, dataset: data.name, optimizer: flags.optimizer, lr: flags.lr, batchSize: flags['batch-size'],
    epochs: flags.epochs, seed: flags.seed, trainAccuracy: last.trainAccuracy, testAccuracy: last.testAccuracy,
    secondsPerEpoch: history.epochs.reduce((s, e) => s + e.seconds, 0) / history.epochs.length,
    seconds: (performance.now() - started) / 1000, kernels: activeKernels().name, paramsSha256: paramsSha256(state.params),
  };
  process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `test accuracy ${(100 * (last.testAccuracy ?? 0)).toFixed(2)}%\n`);
});
