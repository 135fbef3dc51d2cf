/**
 * The demo's dedicated worker: all tenfold work happens here, never on the page's thread. It
 * loads the kernels (ready()), the MNIST asset, then trains, evaluates and predicts on request.
 * The page's ensemble runs several of these, each on one thread.
 */
import * as E from 'fp-ts/lib/Either.js';
import {
  accuracyOf, argmax, averageProbabilities, evaluateAccuracy, fitAsync, loadBookNetwork, paramsSha256, parseMnistAsset,
  predictProbabilities, ready, wrap, decodeModel, encodeModel, type ByteDataset, type Layer, type MnistAsset, type Variables,
} from '../lib/browser.ts';
import { BATCH_SIZE, flatImages, recipe } from './recipe.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

/** A network the worker can predict with, and how it wants its inputs. */
interface Current {
  readonly name: string;
  readonly net: Layer;
  readonly variables: Variables;
  readonly flat: boolean;
}

const scope = globalThis as unknown as {
  onmessage: ((e: { readonly data: ToWorker }) => void) | null;
  postMessage(message: FromWorker, transfer?: readonly ArrayBuffer[]): void;
};
const send = (m: FromWorker, transfer: readonly ArrayBuffer[] = []): void => scope.postMessage(m, transfer);

let data: MnistAsset | undefined;
let current: Current | undefined;
let abort: AbortController | undefined;

const loaded = (): MnistAsset => {
  if (data === undefined) throw new Error('the worker has not loaded MNIST yet (send init first)');
  return data;
};


const fetchBytes = async (url: string): Promise<Uint8Array> => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};

const init = async (m: Extract<ToWorker, { type: 'init' }>): Promise<void> => {
  const started = performance.now();
  const info = await ready({ wasmUrl: m.wasmUrl, ...(m.threads === undefined ? {} : { threads: m.threads }) });
  const parsed = parseMnistAsset(await fetchBytes(m.assetUrl), m.assetUrl);
  if (E.isLeft(parsed)) throw parsed.left;
  data = parsed.right;
  send({ type: 'ready', info, train: data.train.labels.length, test: data.test.labels.length, seconds: (performance.now() - started) / 1000 });
};

/** Trains by the recipe (as `npm run train` with its defaults), so the figures compare with Node's. */
const train = async (m: Extract<ToWorker, { type: 'train' }>): Promise<void> => {
  const r = recipe(m.model, loaded(), m.epochs, m.seed, m.trainLimit);
  const size = r.train.labels.length;
  abort = new AbortController();
  let epochStarted = performance.now();
  let examples = 0;
  let lastReport = 0;
  const result = await fitAsync(r.model, r.optimizer, r.initial, {
    train: r.train, test: r.test, epochs: m.epochs, batchSize: BATCH_SIZE, signal: abort.signal, trainEvalLimit: 10_000,
    onStep: (s) => {
      if (s.stepInEpoch === 1) { epochStarted = performance.now(); examples = 0; }
      examples += s.examples;
      const now = performance.now();
      if (now - lastReport < 250 && s.stepInEpoch !== s.stepsPerEpoch) return;
      lastReport = now;
      send({ type: 'step', epoch: s.epoch, step: s.stepInEpoch, stepsPerEpoch: s.stepsPerEpoch, loss: s.loss, imagesPerSecond: examples / ((now - epochStarted) / 1000) });
    },
    onEpoch: (_s, h) => {
      const e = h.epochs[h.epochs.length - 1];
      send({ type: 'epoch', epoch: e.epoch, meanLoss: e.meanLoss, trainAccuracy: e.trainAccuracy, testAccuracy: e.testAccuracy, seconds: e.seconds, imagesPerSecond: size / e.seconds });
    },
  });
  const { params, state } = result.state;
  current = { name: `${m.model} (trained here)`, net: r.model.net, variables: { params, state }, flat: r.flat };
  const epochs = result.history.epochs;
  const seconds = epochs.reduce((s, e) => s + e.seconds, 0);
  send({
    type: 'trained', model: current.name, testAccuracy: epochs.at(-1)?.testAccuracy ?? evaluateAccuracy(r.model.net, current.variables, r.test),
    imagesPerSecond: (size * epochs.length) / seconds, seconds, paramsSha256: paramsSha256(params), stopped: result.stopped,
  });
};

const sizeOf = (d: ByteDataset): number => d.labels.length;

const pretrained = async (url: string): Promise<void> => {
  const { net, variables } = loadBookNetwork('deep-convnet', await fetchBytes(url), url);
  current = { name: 'DeepConvNet (the book\'s weights)', net, variables, flat: false };
  send({ type: 'model-loaded', model: current.name, description: 'DeepConvNet, trained by the book (99.35% on MNIST\'s test set)' });
};

const using = (): Current => {
  if (current === undefined) throw new Error('no model yet: train one or load the pretrained weights');
  return current;
};

const evaluate = (): void => {
  const c = using();
  const test = c.flat ? flatImages(loaded().test) : loaded().test;
  const started = performance.now();
  const accuracy = evaluateAccuracy(c.net, c.variables, test);
  send({ type: 'evaluated', model: c.name, accuracy, count: sizeOf(test), seconds: (performance.now() - started) / 1000 });
};

const predict = (seq: number, image: Float32Array): void => {
  const c = using();
  const x = wrap(image, c.flat ? [1, 784] : [1, 1, 28, 28]);
  const p = predictProbabilities(c.net, c.variables, x);
  send({ type: 'prediction', seq, model: c.name, probabilities: Array.from(p.data) });
};

const testProbabilities = (): void => {
  const c = using();
  const test = c.flat ? flatImages(loaded().test) : loaded().test;
  const p = predictProbabilities(c.net, c.variables, test);
  const probabilities = Float32Array.from(p.data);
  send({ type: 'probabilities', probabilities, rows: p.shape[0], cols: p.shape[1], labels: test.labels }, [probabilities.buffer]);
};

/** The library's ensemble averaging over the members' test probabilities, and its accuracy. */
const average = (m: Extract<ToWorker, { type: 'average' }>): void => {
  const mean = averageProbabilities(m.members.map((p) => wrap(p, [m.rows, m.cols])));
  send({ type: 'averaged', accuracy: accuracyOf(argmax(mean, -1), m.labels) });
};

/** A model saved by tenfold (saveModel in Node, or this page): it must take MNIST images. */
const loadSaved = (name: string, bytes: Uint8Array): void => {
  const m = decodeModel(bytes, name);
  const shape = m.inputShape.join('×');
  if (shape !== '784' && shape !== '1×28×28') throw new Error(`${name}: the model takes inputs of shape ${shape}, not MNIST images (784 or 1×28×28)`);
  current = { name: `${name} (saved model)`, net: m.net, variables: m.variables, flat: shape === '784' };
  send({ type: 'model-loaded', model: current.name, description: `${name}, a saved ${m.net.name}` });
};

/** The current model in the saved-model format, for the page to offer as a download. */
const save = (): void => {
  const c = using();
  const bytes = encodeModel({
    net: c.net, variables: c.variables, inputShape: c.flat ? [784] : [1, 28, 28],
    classNames: Array.from({ length: 10 }, (_, i) => String(i)), preprocessing: { scale: 1 / 255, offset: 0 },
    metadata: { savedBy: 'the tenfold demo page', model: c.name },
  });
  send({ type: 'model-saved', bytes }, [bytes.buffer as ArrayBuffer]);
};

const handle = async (m: ToWorker): Promise<void> => {
  switch (m.type) {
    case 'init': return init(m);
    case 'train': return train(m);
    case 'stop': abort?.abort(); return;
    case 'pretrained': return pretrained(m.url);
    case 'evaluate': return evaluate();
    case 'predict': return predict(m.seq, m.image);
    case 'test-probabilities': return testProbabilities();
    case 'average': return average(m);
    case 'load-model': return loadSaved(m.name, m.bytes);
    case 'save-model': return save();
  }
};

const failed = (err: unknown): void => send({ type: 'error', message: err instanceof Error ? err.message : String(err) });

// one request at a time, in order; stop and predict answer at once (between training steps,
// predicting with the model finished last)
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'stop' || m.type === 'predict') handle(m).catch(failed);
  else queue = queue.then(() => handle(m)).catch(failed);
};
