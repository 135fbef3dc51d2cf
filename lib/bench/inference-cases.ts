/**
 * Inference of the book's conv nets, one batch of 100 per call: tenfold's forward beside ONNX
 * Runtime Web running the same network and weights, exported with `exportOnnx`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bookNetworks, loadBookNetwork } from '../data/book-weights.ts';
import { inferenceCtx, type Layer, type Variables } from '../layers/layer.ts';
import { exportOnnx } from '../onnx/export.ts';
import { key, split, uniform } from '../random.ts';
import { fromArray, type Tensor } from '../tensor.ts';
import { BATCH } from './conv-shapes.ts';
import type { BenchCase } from './harness.ts';
import { ortPackage, useOrt } from './peers/ort.ts';

/** The networks with inference rows: the book's, which have published weights. */
export type InferenceModel = keyof typeof bookNetworks;

/** The models the inference rows cover, in row order. */
export const inferenceModels: readonly InferenceModel[] = ['simple-convnet', 'deep-convnet'];

/** Library label of the ONNX Runtime rows. */
export const ortLabel = ortPackage;

/** How many different input batches the timed calls cycle over. */
export const INPUT_BATCHES = 4;

const weightFiles: Readonly<Record<InferenceModel, string>> = {
  'simple-convnet': 'simple_convnet_2016.npz', 'deep-convnet': 'deep_convnet_2016.npz',
};

/**
 * The book's trained weights when the repository's assets are there; from an installed package
 * (which does not ship them) the same network initialised from key 0. Speed does not depend on the
 * weights' values (dense kernels, no data-dependent skipping), so the rows compare either way.
 */
export const inferenceNetwork = (model: InferenceModel): { readonly net: Layer; readonly variables: Variables; readonly book: boolean } => {
  const file = fileURLToPath(new URL(`../../assets/book-weights/${weightFiles[model]}`, import.meta.url));
  if (existsSync(file)) return { ...loadBookNetwork(model, file), book: true };
  const { build, inputShape } = bookNetworks[model];
  const net = build();
  return { net, variables: net.init(key(0), inputShape), book: false };
};

const inputShapeOf = (model: InferenceModel): readonly number[] => [BATCH, ...bookNetworks[model].inputShape];

/** The fixed input batches (uniform in [0, 1), as MNIST pixels), the same for both libraries. */
export const inferenceInputs = (model: InferenceModel): readonly Float32Array[] =>
  split(key(11), INPUT_BATCHES).map((k) => Float32Array.from(uniform(k, inputShapeOf(model)).data));

/** tenfold's logits of input batch `i`, as `predictLogits` computes them: a fresh tensor in, the forward in inference mode. */
export const tenfoldInference = (model: InferenceModel): ((i: number) => Tensor) => {
  const { net, variables } = inferenceNetwork(model);
  const xs = inferenceInputs(model);
  const shape = inputShapeOf(model);
  return (i) => net.forward(variables.params, fromArray(xs[i], shape), inferenceCtx(key(0), variables.state)).y;
};

/** An ONNX Runtime session of the exported network: the logits of input batch `i`, and its release. */
export interface OrtInference {
  readonly run: (i: number) => Promise<Float32Array>;
  readonly release: () => Promise<void>;
}

/** ONNX Runtime Web on the same network and weights (exported with `exportOnnx`) and the same input batches. */
export const ortInference = async (model: InferenceModel, threads: number): Promise<OrtInference> => {
  const ort = await useOrt(threads);
  const { net, variables } = inferenceNetwork(model);
  const session = await ort.InferenceSession.create(exportOnnx(net, variables, bookNetworks[model].inputShape), { executionProviders: ['wasm'] });
  const xs = inferenceInputs(model);
  const dims = inputShapeOf(model);
  return {
    run: async (i) => {
      const { logits } = await session.run({ input: new ort.Tensor('float32', xs[i], dims) });
      if (!(logits.data instanceof Float32Array)) throw new Error(`${model}: ONNX Runtime returned ${logits.type} logits, not float32`);
      return logits.data;
    },
    release: () => session.release(),
  };
};

/** tenfold's inference case: one batch per call, cycling over the input batches; reads the logits so the work is done. */
const tenfoldCase = (model: InferenceModel, threads: number): BenchCase => ({
  kernel: 'inference', shape: `${model} batch ${BATCH}`, library: 'tenfold', threads,
  setup: () => {
    const infer = tenfoldInference(model);
    let i = 0;
    return () => { void infer(i).data[0]; i = (i + 1) % INPUT_BATCHES; };
  },
});

/** ONNX Runtime's inference case; its setup loads onnxruntime-web (so list it only when ortAvailable()). */
const ortCase = (model: InferenceModel, threads: number): BenchCase => {
  let release = (): Promise<void> => Promise.resolve();
  return {
    kernel: 'inference', shape: `${model} batch ${BATCH}`, library: ortLabel, threads,
    setup: async () => {
      const ort = await ortInference(model, threads);
      release = ort.release;
      let i = 0;
      return async () => { await ort.run(i); i = (i + 1) % INPUT_BATCHES; };
    },
    teardown: () => release(),
  };
};

/** Inference rows: per model, tenfold on `ourThreads` (TENFOLD_THREADS) and, with `ortThreads`, ONNX Runtime Web on that many wasm threads. */
export const inferenceCases = (ourThreads: number, ortThreads?: number): BenchCase[] =>
  inferenceModels.flatMap((m) => [tenfoldCase(m, ourThreads), ...(ortThreads === undefined ? [] : [ortCase(m, ortThreads)])]);
