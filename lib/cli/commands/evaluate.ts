/** `tenfold evaluate`: test accuracy of the book's weights, a checkpoint, a saved model or a saved ensemble. */
import { writeFileSync } from 'node:fs';
import * as t from 'io-ts';
import { bookNetworks, loadBookNetwork } from '../../data/book-weights.ts';
import { loadDataset } from '../../data/datasets.ts';
import { registeredDatasetNames, type DatasetName } from '../../data/registry.ts';
import { evaluateSavedEnsemble } from '../../ensemble/evaluate-saved.ts';
import { loadCheckpointedModel } from '../../jobs/restore.ts';
import { activeKernels } from '../../kernels/backend.ts';
import type { Layer, Variables } from '../../layers/layer.ts';
import { modelNames, models, type ModelName } from '../../models/registry.ts';
import { argmax } from '../../ops/reduce.ts';
import { accuracyOf, predictLogits } from '../../train/model.ts';
import { loadModel } from '../../train/saved-model.ts';
import { UsageError } from '../args.ts';
import { oneOf, PositiveInt } from '../codecs.ts';
import { helpFlag, type Command } from '../command.ts';
import { prepareOutputFile } from '../output-paths.ts';

const bookModels = Object.keys(bookNetworks) as (keyof typeof bookNetworks)[];
const isBookModel = (m: string): m is keyof typeof bookNetworks => (bookModels as readonly string[]).includes(m);

const specs = {
  model: { codec: oneOf(modelNames), help: `model: ${modelNames.join('|')} (the book's .npz weights: ${bookModels.join('|')})` },
  weights: { codec: t.string, help: 'trained weights: an .npz archive in the book\'s layout, or a tenfold checkpoint (directory or ckpt-*.json)' },
  ensemble: { codec: t.string, help: 'a saved ensemble directory (written by npm run ensemble --out DIR)' },
  predictions: { codec: t.string, help: 'write the predicted class of every test image (JSON array) to this file' },
  saved: { codec: t.string, help: 'a saved model file (written by train --save-model or saveModel)' },
  dataset: { codec: oneOf(registeredDatasetNames()), help: `the test set for --saved (default: the one it was trained on, else mnist): ${registeredDatasetNames().join('|')}` },
  'batch-size': { codec: PositiveInt, default: '100', help: 'examples per forward pass' },
  json: { codec: 'boolean', help: 'print one JSON object as the last line' },
  help: helpFlag,
} as const;

interface Loaded { readonly model: string; readonly net: Layer; readonly variables: Variables; readonly dataset: DatasetName; readonly flat: boolean }

/** A saved model and the test set to measure it on. */
const loadSaved = (file: string, dataset: DatasetName | undefined): Loaded => {
  const m = loadModel(file);
  const trainedOn = m.metadata?.dataset;
  return {
    model: typeof m.metadata?.model === 'string' ? m.metadata.model : m.net.name, net: m.net, variables: m.variables,
    dataset: dataset ?? (typeof trainedOn === 'string' ? trainedOn : 'mnist'), flat: m.inputShape.length === 1,
  };
};

/** The network, its trained variables and dataset from a weights file or a tenfold checkpoint. */
const loadWeights = (model: ModelName | undefined, file: string): Loaded => {
  if (file.toLowerCase().endsWith('.npz')) {
    if (model === undefined) throw new UsageError('--model is required with .npz weights');
    if (!isBookModel(model)) throw new UsageError(`--weights: .npz files map onto ${bookModels.join('|')} only, not ${model}`);
    return { model, ...loadBookNetwork(model, file), dataset: 'mnist', flat: false };
  }
  const { config, net, variables } = loadCheckpointedModel(file);
  if (model !== undefined && model !== config.model) throw new UsageError(`--model ${model} but the checkpoint in ${file} is a ${config.model}`);
  return { model: config.model, net, variables, dataset: config.dataset, flat: models[config.model].flatInput };
};

const evaluateEnsemble = (dir: string, json: boolean): void => {
  const started = performance.now();
  const r = evaluateSavedEnsemble(dir);
  const seconds = (performance.now() - started) / 1000;
  if (!json) {
    for (const m of r.members) process.stdout.write(`member ${m.index + 1}: ${(100 * m.testAccuracy).toFixed(2)}%\n`);
    if (r.incomplete.length > 0) process.stdout.write(`warning: members ${r.incomplete.map((i) => i + 1).join(', ')} have not finished training\n`);
    process.stdout.write(`ensemble ${(100 * r.ensembleAccuracy).toFixed(2)}%, vote ${(100 * r.voteAccuracy).toFixed(2)}% on ${r.dataset} test in ${seconds.toFixed(1)} s\n`);
    return;
  }
  process.stdout.write(`${JSON.stringify({
    ensemble: dir, dataset: r.dataset, members: r.members.map((m) => ({ index: m.index, testAccuracy: m.testAccuracy })),
    ensembleAccuracy: r.ensembleAccuracy, voteAccuracy: r.voteAccuracy, bestMemberAccuracy: r.bestMemberAccuracy,
    incompleteMembers: r.incomplete, seconds, kernels: activeKernels().name,
  })}\n`);
};

/** The evaluate command. */
export const evaluateCommand: Command<typeof specs> = {
  name: 'evaluate', summary: 'test accuracy of trained weights, a checkpoint, a saved model or an ensemble', specs,
  run: (flags) => {
    if (flags.ensemble !== undefined) {
      if (flags.weights !== undefined) throw new UsageError('give --weights or --ensemble, not both');
      evaluateEnsemble(flags.ensemble, flags.json);
      return;
    }
    if ([flags.weights, flags.saved].filter((x) => x !== undefined).length !== 1) throw new UsageError('give one of --weights, --saved or --ensemble');
    const predictions = flags.predictions === undefined ? undefined : prepareOutputFile('--predictions', flags.predictions);
    const started = performance.now();
    const { model, net, variables, dataset, flat } = flags.saved !== undefined ? loadSaved(flags.saved, flags.dataset) : loadWeights(flags.model, flags.weights as string);
    const data = loadDataset(dataset, flat);
    if (!flags.json) process.stdout.write(`evaluating ${model} (${flags.weights ?? flags.saved}) on ${data.name} test, kernels: ${activeKernels().name}\n`);
    const loaded = performance.now();
    const predicted = argmax(predictLogits(net, variables, data.test, flags['batch-size']), -1);
    const inferenceSeconds = (performance.now() - loaded) / 1000;
    const testAccuracy = accuracyOf(predicted, data.test.labels);
    const correct = Math.round(testAccuracy * predicted.length);
    if (predictions !== undefined) writeFileSync(predictions, `${JSON.stringify(Array.from(predicted))}\n`);
    const seconds = (performance.now() - started) / 1000;
    const summary = {
      model, weights: flags.weights ?? flags.saved, dataset: data.name, testAccuracy, correct, total: predicted.length,
      seconds, loadSeconds: (loaded - started) / 1000, inferenceSeconds, kernels: activeKernels().name,
    };
    process.stdout.write(flags.json
      ? `${JSON.stringify(summary)}\n`
      : `test accuracy ${(100 * testAccuracy).toFixed(2)}% (${correct}/${predicted.length}) in ${seconds.toFixed(1)} s (inference ${inferenceSeconds.toFixed(1)} s)\n`);
  },
};
