/** `tenfold export`: a trained model (the book's weights, a checkpoint or a saved model) as an ONNX file. */
import { basename, dirname } from 'node:path';
import * as t from 'io-ts';
import { bookNetworks, loadBookNetwork } from '../../data/book-weights.ts';
import { datasetDefinition } from '../../data/registry.ts';
import { loadCheckpointedModel } from '../../jobs/restore.ts';
import type { Layer, Variables } from '../../layers/layer.ts';
import { modelNames, models, type ModelName } from '../../models/registry.ts';
import { onnxModel } from '../../onnx/export.ts';
import { encodeModel } from '../../onnx/proto.ts';
import { writeAtomic } from '../../train/checkpoint-files.ts';
import { loadModel } from '../../train/saved-model.ts';
import { UsageError } from '../args.ts';
import { oneOf } from '../codecs.ts';
import { helpFlag, type Command } from '../command.ts';
import { prepareOutputFile } from '../output-paths.ts';

const bookModels = Object.keys(bookNetworks) as (keyof typeof bookNetworks)[];
const isBookModel = (m: string): m is keyof typeof bookNetworks => (bookModels as readonly string[]).includes(m);

const specs = {
  model: { codec: oneOf(modelNames), help: `model: ${modelNames.join('|')} (required with --weights: ${bookModels.join('|')}; checked against --checkpoint and --saved)` },
  weights: { codec: t.string, help: 'the book\'s trained weights, an .npz archive' },
  checkpoint: { codec: t.string, help: 'a tenfold checkpoint (a directory written by train --out, or a ckpt-*.json file)' },
  saved: { codec: t.string, help: 'a saved model file (written by train --save-model or saveModel)' },
  onnx: { codec: t.string, help: 'the ONNX file to write (opset 13; input "input" [N, …], output "logits" [N, classes])' },
  'keep-batchnorm': { codec: 'boolean', help: 'keep batch norm as BatchNormalization nodes instead of folding it into the conv/affine before it' },
  json: { codec: 'boolean', help: 'print one JSON object as the last line' },
  help: helpFlag,
} as const;

interface Loaded { readonly model: string; readonly net: Layer; readonly variables: Variables; readonly inputShape: readonly number[] }

const checkModel = (flag: string, file: string, given: ModelName | undefined, found: string): void => {
  if (given !== undefined && given !== found) throw new UsageError(`--model ${given} but ${flag} ${file} holds a ${found}`);
};

const loadBook = (model: ModelName | undefined, file: string): Loaded => {
  if (model === undefined) throw new UsageError('--model is required with --weights');
  if (!isBookModel(model)) throw new UsageError(`--weights: .npz files map onto ${bookModels.join('|')} only, not ${model} (use --checkpoint or --saved)`);
  if (!file.toLowerCase().endsWith('.npz')) throw new UsageError(`--weights ${file}: not an .npz archive (a tenfold checkpoint goes in --checkpoint)`);
  return { model, ...loadBookNetwork(model, file), inputShape: bookNetworks[model].inputShape };
};

const loadCheckpoint = (model: ModelName | undefined, path: string): Loaded => {
  const { config, net, variables } = loadCheckpointedModel(path);
  checkModel('--checkpoint', path, model, config.model);
  const [c, h, w] = datasetDefinition(config.dataset).imageShape;
  return { model: config.model, net, variables, inputShape: models[config.model].flatInput ? [c * h * w] : [c, h, w] };
};

const loadSaved = (model: ModelName | undefined, file: string): Loaded => {
  const m = loadModel(file);
  const name = typeof m.metadata?.model === 'string' ? m.metadata.model : m.net.name;
  if (typeof m.metadata?.model === 'string') checkModel('--saved', file, model, name);
  return { model: name, net: m.net, variables: m.variables, inputShape: m.inputShape };
};

/** The export command. */
export const exportCommand: Command<typeof specs> = {
  name: 'export', summary: 'write a trained model as an ONNX file', specs,
  run: (flags) => {
    const sources = [['--weights', flags.weights], ['--checkpoint', flags.checkpoint], ['--saved', flags.saved]] as const;
    const given = sources.filter(([, v]) => v !== undefined);
    if (given.length !== 1) {
      throw new UsageError(given.length === 0 ? 'give one of --weights, --checkpoint or --saved' : `give one of --weights, --checkpoint or --saved, not ${given.map(([f]) => f).join(' and ')}`);
    }
    if (flags.onnx === undefined) throw new UsageError('--onnx OUT.onnx is required (the file to write)');
    const out = prepareOutputFile('--onnx', flags.onnx);
    const started = performance.now();
    const { model, net, variables, inputShape } = flags.weights !== undefined
      ? loadBook(flags.model, flags.weights)
      : flags.checkpoint !== undefined ? loadCheckpoint(flags.model, flags.checkpoint) : loadSaved(flags.model, flags.saved as string);
    const onnx = onnxModel(net, variables, inputShape, { foldBatchNorm: !flags['keep-batchnorm'], docString: `${model} exported by tenfold` });
    const bytes = encodeModel(onnx);
    writeAtomic(dirname(out), basename(out), bytes);
    const outputDims = onnx.graph.output[0].type.tensorType.shape.dim.slice(1).map((d) => ('dimValue' in d ? d.dimValue : d.dimParam));
    const ops = [...new Set(onnx.graph.node.map((n) => n.opType))];
    const summary = {
      model, onnx: out, bytes: bytes.length, nodes: onnx.graph.node.length, ops, opset: onnx.opsetImport[0].version,
      input: { name: onnx.graph.input[0].name, shape: ['N', ...inputShape] }, output: { name: onnx.graph.output[0].name, shape: ['N', ...outputDims] },
      foldBatchNorm: !flags['keep-batchnorm'], seconds: (performance.now() - started) / 1000,
    };
    process.stdout.write(flags.json
      ? `${JSON.stringify(summary)}\n`
      : `wrote ${out} (${bytes.length} bytes, opset ${summary.opset}): ${model}, ${summary.input.name} [${summary.input.shape.join(', ')}] → `
        + `${summary.output.name} [${summary.output.shape.join(', ')}], ${summary.nodes} nodes (${ops.join(', ')})\n`);
  },
};
