/** Evaluates trained weights, a tenfold checkpoint or a saved ensemble on the test set: `npm run evaluate -- --help`. */
import { writeFileSync } from 'node:fs';
import * as t from 'io-ts';
import { loadDataset, type DatasetName } from '../lib/data/datasets.ts';
import { evaluateSavedEnsemble } from '../lib/ensemble/evaluate-saved.ts';
import { loadCheckpointedModel } from '../lib/jobs/restore.ts';
import { activeKernels } from '../lib/kernels/backend.ts';
import type { Layer } from '../lib/layers/layer.ts';
import { bookNetworks, loadBookNetwork } from '../lib/data/book-weights.ts';
import { modelNames, models, type ModelName } from '../lib/models/registry.ts';
import { argmax } from '../lib/ops/reduce.ts';
import { predictLogits, accuracyOf, type Variables } from '../lib/train/model.ts';
import { parseFlags, runMain, usage, UsageError } from '../lib/cli/args.ts';
import { oneOf, PositiveInt } from '../lib/cli/codecs.ts';
import { prepareOutputFile } from '../lib/cli/output-paths.ts';

const bookModels = Object.keys(bookNetworks) as (keyof typeof bookNetworks)[];
const isBookModel = (m: string): m is keyof typeof bookNetworks => (bookModels as readonly string[]).includes(m);

const specs = {
  model: { codec: oneOf(modelNames), help: `model: ${modelNames.join('|')} (the book's .npz weights: ${bookModels.join('|')})` },
  weights: { codec: t.string, help: 'trained weights: an .npz archive in the book\'s layout, or a tenfold checkpoint (directory or ckpt-*.json)' },
  ensemble: { codec: t.string, help: 'a saved ensemble directory (written by npm run ensemble --out DIR)' },
  predictions: { codec: t.string, help: 'write the predicted class of every test image (JSON array) to this file' },
  'batch-size': { codec: PositiveInt, default: '100', help: 'examples per forward pass' },
  json: { codec: 'boolean', help: 'print one JSON object as the last line' },
  help: { codec: 'boolean', help: 'show this help' },
} as const;

/** The network, its trained variables and dataset from a weights file or a tenfold checkpoint. */
const loadWeights = (model: ModelName | undefined, file: string): {
  readonly model: ModelName; readonly net: Layer; readonly variables: Variables; readonly dataset: DatasetName;
} => {
  if (file.toLowerCase().endsWith('.npz')) {
    if (model === undefined) throw new UsageError('--model is required with .npz weights');
    if (!isBookModel(model)) throw new UsageError(`--weights: .npz files map onto ${bookModels.join('|')} only, not ${model}`);
    return { model, ...loadBookNetwork(model, file), dataset: 'mnist' };
  }
  const { config, net, variables } = loadCheckpointedModel(file);
  if (model !== undefined && model !== config.model) throw new UsageError(`--model ${model} but the checkpoint in ${file} is a ${config.model}`);
  return { model: config.model, net, variables, dataset: config.dataset };
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

runMain('evaluate', specs, () => {
  const flags = parseFlags(process.argv.slice(2), specs);
  if (flags.help) { process.stdout.write(`${usage('evaluate', specs)}\n`); return; }
  if (flags.ensemble !== undefined) {
    if (flags.weights !== undefined) throw new UsageError('give --weights or --ensemble, not both');
    evaluateEnsemble(flags.ensemble, flags.json);
    return;
  }
  if (flags.weights === undefined) throw new UsageError('--weights (or --ensemble) is required');
  const predictions = flags.predictions === undefined ? undefined : prepareOutputFile('--predictions', flags.predictions);
  const started = performance.now();
  const { model, net, variables, dataset } = loadWeights(flags.model, flags.weights);
  const data = loadDataset(dataset, models[model].flatInput);
  if (!flags.json) process.stdout.write(`evaluating ${model} (${flags.weights}) on ${data.name} test, kernels: ${activeKernels().name}\n`);
  const loaded = performance.now();
  const predicted = argmax(predictLogits(net, variables, data.test, flags['batch-size']), -1);
  const inferenceSeconds = (performance.now() - loaded) / 1000;
  const testAccuracy = accuracyOf(predicted, data.test.labels);
  const correct = Math.round(testAccuracy * predicted.length);
  if (predictions !== undefined) writeFileSync(predictions, `${JSON.stringify(Array.from(predicted))}\n`);
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    model, weights: flags.weights, dataset: data.name, testAccuracy, correct, total: predicted.length,
    seconds, loadSeconds: (loaded - started) / 1000, inferenceSeconds, kernels: activeKernels().name,
  };
  process.stdout.write(flags.json
    ? `${JSON.stringify(summary)}\n`
    : `test accuracy ${(100 * testAccuracy).toFixed(2)}% (${correct}/${predicted.length}) in ${seconds.toFixed(1)} s (inference ${inferenceSeconds.toFixed(1)} s)\n`);
});
