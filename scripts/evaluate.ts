/** Evaluates trained weights on the 10k MNIST test set: `npm run evaluate -- --help`. */
import { writeFileSync } from 'node:fs';
import * as t from 'io-ts';
import { loadDataset } from '../lib/data/datasets.ts';
import { activeKernels } from '../lib/kernels/backend.ts';
import type { Layer } from '../lib/layers/layer.ts';
import { bookNetworks, loadBookNetwork } from '../lib/models/book-weights.ts';
import { modelNames, models, type ModelName } from '../lib/models/registry.ts';
import { argmax } from '../lib/ops/reduce.ts';
import { predictLogits, accuracyOf, type Variables } from '../lib/train/model.ts';
import { parseFlags, runMain, usage, UsageError } from '../lib/cli/args.ts';
import { oneOf, PositiveInt } from '../lib/cli/codecs.ts';

const bookModels = Object.keys(bookNetworks) as (keyof typeof bookNetworks)[];
const isBookModel = (m: string): m is keyof typeof bookNetworks => (bookModels as readonly string[]).includes(m);

const specs = {
  model: { codec: oneOf(modelNames), help: `model: ${modelNames.join('|')} (the book's .npz weights: ${bookModels.join('|')})` },
  weights: { codec: t.string, help: 'trained weights: an .npz archive in the book\'s layout' },
  predictions: { codec: t.string, help: 'write the predicted class of every test image (JSON array) to this file' },
  'batch-size': { codec: PositiveInt, default: '100', help: 'examples per forward pass' },
  json: { codec: 'boolean', help: 'print one JSON object as the last line' },
  help: { codec: 'boolean', help: 'show this help' },
} as const;

/**
 * The network and its trained variables from a weights file. The extension point for other
 * formats: tenfold's own checkpoints get a branch here.
 */
const loadWeights = (model: ModelName, file: string): { readonly net: Layer; readonly variables: Variables } => {
  if (file.endsWith('.npz')) {
    if (!isBookModel(model)) throw new UsageError(`--weights: .npz files map onto ${bookModels.join('|')} only, not ${model}`);
    return loadBookNetwork(model, file);
  }
  // extension point: tenfold's own checkpoints (build models[model], restore params and state)
  throw new UsageError(`--weights: ${file} is not an .npz file (only the book's .npz weights can be evaluated for now)`);
};

runMain('evaluate', specs, () => {
  const flags = parseFlags(process.argv.slice(2), specs);
  if (flags.help) { process.stdout.write(`${usage('evaluate', specs)}\n`); return; }
  if (flags.model === undefined) throw new UsageError('--model is required');
  if (flags.weights === undefined) throw new UsageError('--weights is required');
  const started = performance.now();
  const { net, variables } = loadWeights(flags.model, flags.weights);
  const data = loadDataset('mnist', models[flags.model].flatInput);
  process.stdout.write(`evaluating ${flags.model} (${flags.weights}) on ${data.name} test, kernels: ${activeKernels().name}\n`);
  const predicted = argmax(predictLogits(net, variables, data.test.x, flags['batch-size']), -1);
  const testAccuracy = accuracyOf(predicted, data.test.labels);
  const correct = Math.round(testAccuracy * predicted.length);
  if (flags.predictions !== undefined) writeFileSync(flags.predictions, `${JSON.stringify(Array.from(predicted))}\n`);
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    model: flags.model, weights: flags.weights, dataset: data.name, testAccuracy, correct, total: predicted.length,
    seconds, kernels: activeKernels().name,
  };
  process.stdout.write(flags.json
    ? `${JSON.stringify(summary)}\n`
    : `test accuracy ${(100 * testAccuracy).toFixed(2)}% (${correct}/${predicted.length}) in ${seconds.toFixed(1)} s\n`);
});
