/**
 * ONNX export, checked by running the exported files in the real ONNX Runtime (onnxruntime-web's
 * WebAssembly backend, in Node): the book's weights on all 10,000 MNIST test images, every zoo
 * model and custom networks on a few hundred, against tenfold's own logits.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { loadBookNetwork } from '../lib/data/book-weights.ts';
import { headOfDataset, orderedBatches, type Examples } from '../lib/data/dataset.ts';
import { loadDataset, type TrainTest } from '../lib/data/datasets.ts';
import { reluLayer, sigmoidLayer, tanhLayer } from '../lib/layers/activations.ts';
import { affine } from '../lib/layers/affine.ts';
import { batchNorm } from '../lib/layers/batchnorm.ts';
import { conv2d } from '../lib/layers/conv.ts';
import { describable } from '../lib/layers/describe.ts';
import { dropout } from '../lib/layers/dropout.ts';
import { flatten } from '../lib/layers/flatten.ts';
import type { Layer, Variables } from '../lib/layers/layer.ts';
import { avgPool2d, globalAvgPool, maxPool2d } from '../lib/layers/pooling.ts';
import { residual } from '../lib/layers/residual.ts';
import { sequential } from '../lib/layers/sequential.ts';
import { softmaxCrossEntropy } from '../lib/losses.ts';
import { modelNames, models } from '../lib/models/registry.ts';
import { exportOnnx, type OnnxExportOptions } from '../lib/onnx/export.ts';
import { decodeModel } from '../lib/onnx/proto.ts';
import { loadCheckpointedModel } from '../lib/jobs/restore.ts';
import { adam } from '../lib/optim/optimizers.ts';
import { key } from '../lib/random.ts';
import { initTrainState, trainStep } from '../lib/train/fit.ts';
import { predictLogits } from '../lib/train/model.ts';
import { saveModel } from '../lib/train/saved-model.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, '..', 'shared', 'fixtures', 'dlfs');

// Node runs the wasm backend single-threaded; say so rather than let it probe for workers
ort.env.wasm.numThreads = 1;

interface Comparison {
  readonly total: number;
  /** Images where ONNX Runtime's argmax equals tenfold's. */
  readonly agree: number;
  /** Images ONNX Runtime classifies correctly. */
  readonly correct: number;
  /** max |Δlogit| ÷ max |logit|. */
  readonly ratio: number;
  readonly ortSeconds: number;
}

const argmaxRow = (d: ArrayLike<number>, offset: number, k: number): number => {
  let best = 0;
  for (let j = 1; j < k; j++) if (d[offset + j] > d[offset + best]) best = j;
  return best;
};

/** Runs the ONNX bytes in ONNX Runtime on `examples` and compares with tenfold's logits. */
const compareOnnx = async (bytes: Uint8Array, net: Layer, variables: Variables, examples: Examples): Promise<Comparison> => {
  const session = await ort.InferenceSession.create(bytes);
  const expected = predictLogits(net, variables, examples, 500);
  const k = expected.shape[1];
  let agree = 0;
  let correct = 0;
  let maxDelta = 0;
  let maxLogit = 0;
  let row = 0;
  const started = performance.now();
  for (const b of orderedBatches(examples, 500)) {
    const input = new ort.Tensor('float32', Float32Array.from(b.x.data), [...b.x.shape]);
    const out = await session.run({ input });
    const got = out.logits.data as Float32Array;
    expect(out.logits.dims).to.deep.equal([b.x.shape[0], k]);
    for (let i = 0; i < b.x.shape[0]; i++, row++) {
      for (let j = 0; j < k; j++) {
        maxDelta = Math.max(maxDelta, Math.abs(got[i * k + j] - expected.data[row * k + j]));
        maxLogit = Math.max(maxLogit, Math.abs(expected.data[row * k + j]));
      }
      const predicted = argmaxRow(got, i * k, k);
      if (predicted === argmaxRow(expected.data, row * k, k)) agree++;
      if (predicted === b.labels[i]) correct++;
    }
  }
  const ortSeconds = (performance.now() - started) / 1000;
  await session.release();
  return { total: row, agree, correct, ratio: maxDelta / maxLogit, ortSeconds };
};

const exportAndCompare = async (net: Layer, variables: Variables, inputShape: readonly number[], examples: Examples, options?: OnnxExportOptions): Promise<Comparison> =>
  compareOnnx(exportOnnx(net, variables, inputShape, options), net, variables, examples);

/** Identical argmax on every image and logits within 1e-4 of their largest magnitude. */
const expectFaithful = (c: Comparison, what: string): void => {
  expect(c.agree, `${what}: images with the same argmax`).to.equal(c.total);
  expect(c.ratio, `${what}: max |Δlogit| / max |logit|`).to.be.at.most(1e-4);
};

const opsOf = (bytes: Uint8Array): string[] => decodeModel(bytes).graph.node.map((n) => n.opType);

/** A few Adam steps, so batch norm's running statistics and γ, β are no longer their initial values. */
const trained = (net: Layer, data: TrainTest, seed: number, steps = 3): Variables => {
  const model = { net, loss: softmaxCrossEntropy };
  const opt = adam(0.01);
  const step = trainStep(model, opt);
  let ts = initTrainState(model, opt, key(seed), data.inputShape);
  let i = 0;
  for (const batch of orderedBatches(headOfDataset(data.train, 100 * steps), 100)) {
    ts = step(ts, batch).state;
    i++;
  }
  expect(i).to.equal(steps);
  return { params: ts.params, state: ts.state };
};

/** A hand-written layer (the identity): no library constructor made it, so it has no spec. */
const handWritten = (name: string): Layer => ({
  name,
  init: (_key, inputShape) => ({ params: {}, state: {}, outputShape: inputShape }),
  forward: (_params, x) => ({ y: x, cache: null, state: {} }),
  backward: (_params, _cache, dy) => ({ dx: dy, grads: {} }),
});

// a registered kind with no ONNX mapping (registered once, when this file loads)
const unmapped = describable('onnxSpecUnmapped', () => handWritten('unmapped'));

describe('ONNX export, run in ONNX Runtime (onnxruntime-web)', function () {
  this.timeout(90_000);
  let images: TrainTest;
  let flat: TrainTest;
  const figures: string[] = [];

  before(() => {
    images = loadDataset('mnist', false);
    flat = loadDataset('mnist', true);
  });
  after(() => { if (process.env.TENFOLD_ONNX_FIGURES === '1') process.stdout.write(`${figures.join('\n')}\n`); });

  for (const [model, file, correct] of [
    ['simple-convnet', 'simple_convnet_2016.npz', 9890],
    ['deep-convnet', 'deep_convnet_2016.npz', 9935],
  ] as const) {
    it(`the book's ${model}: all 10,000 test images, the same argmax as tenfold and ${correct / 100}% accuracy`, async () => {
      const { net, variables } = loadBookNetwork(model, join(fixtures, file));
      const c = await exportAndCompare(net, variables, [1, 28, 28], images.test);
      figures.push(`${model}: ${c.correct}/${c.total}, ratio ${c.ratio.toExponential(2)}, ORT ${c.ortSeconds.toFixed(1)} s`);
      expect(c.total).to.equal(10_000);
      expectFaithful(c, model);
      expect(c.correct).to.equal(correct);
    });
  }

  it('the graph: opset 13, input "input" [N, 1, 28, 28], output "logits" [N, 10], no Dropout', () => {
    const { net, variables } = loadBookNetwork('deep-convnet', join(fixtures, 'deep_convnet_2016.npz'));
    const m = decodeModel(exportOnnx(net, variables, [1, 28, 28]));
    expect(m.irVersion).to.equal(7);
    expect(m.opsetImport).to.deep.equal([{ domain: '', version: 13 }]);
    expect(m.producerName).to.equal('tenfold');
    expect(m.graph.input.map((v) => v.name)).to.deep.equal(['input']);
    expect(m.graph.input[0].type.tensorType.shape.dim).to.deep.equal([{ dimParam: 'N' }, { dimValue: 1 }, { dimValue: 28 }, { dimValue: 28 }]);
    expect(m.graph.output.map((v) => v.name)).to.deep.equal(['logits']);
    expect(m.graph.output[0].type.tensorType.shape.dim).to.deep.equal([{ dimParam: 'N' }, { dimValue: 10 }]);
    const ops = m.graph.node.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Conv')).to.have.length(6);
    expect(ops.filter((o) => o === 'MaxPool')).to.have.length(3);
    expect(ops).to.not.include('Dropout');
    expect(m.graph.initializer.map((t) => t.name)).to.include.members(['conv1/W', 'conv1/b', 'affine2/W']);
  });

  for (const name of modelNames) {
    it(`zoo model ${name}, after 3 training steps: 500 test images`, async () => {
      const entry = models[name];
      const data = entry.flatInput ? flat : images;
      const net = entry.build({ hidden: [64, 32], classes: 10 });
      const variables = trained(net, data, 11);
      const test = headOfDataset(data.test, 500);
      const folded = await exportAndCompare(net, variables, data.inputShape, test);
      figures.push(`${name}: ratio ${folded.ratio.toExponential(2)}`);
      expectFaithful(folded, name);
      if (name === 'mlp-bn' || name === 'deep-convnet-bn') {
        const kept = exportOnnx(net, variables, data.inputShape, { foldBatchNorm: false });
        expect(opsOf(exportOnnx(net, variables, data.inputShape))).to.not.include('BatchNormalization');
        expect(opsOf(kept).filter((o) => o === 'BatchNormalization')).to.have.length(name === 'mlp-bn' ? 2 : 6);
        const c = await compareOnnx(kept, net, variables, test);
        figures.push(`${name} (BatchNormalization kept): ratio ${c.ratio.toExponential(2)}`);
        expectFaithful(c, `${name} with BatchNormalization kept`);
      }
    });
  }

  it('a custom sequential: batch norm folded and kept, residual (identity and projected), avg/max pool with padding, sigmoid, tanh', async () => {
    const net = sequential(
      conv2d(8, 3, 3, { pad: 1 }), batchNorm(), reluLayer(),
      // identity shortcut; the fused batch norm + ReLU folds into the conv before it
      residual(sequential(conv2d(8, 3, 3, { pad: 1 }), batchNorm({ activation: 'relu' }), conv2d(8, 3, 3, { pad: 1 }))),
      avgPool2d(2),
      // batch norm after a fused ReLU: not foldable, so a BatchNormalization node
      conv2d(12, 3, 3, { pad: 1, stride: 2, activation: 'relu' }), batchNorm(),
      // projected shortcut: a 1×1 conv of stride 2 (7×7 → 4×4)
      residual(conv2d(16, 3, 3, { pad: 1, stride: 2 })),
      tanhLayer(),
      avgPool2d(3, 1, 1), maxPool2d(2, 1, 1),
      flatten(), dropout(0.3),
      affine(32), batchNorm(), sigmoidLayer(),
      // a vector shortcut projected by an affine map
      residual(sequential(affine(16), tanhLayer())),
      // after a residual block: kept, on [N, D]
      batchNorm(),
      affine(10),
    );
    const variables = trained(net, images, 5);
    const test = headOfDataset(images.test, 300);
    const folded = exportOnnx(net, variables, [1, 28, 28]);
    const ops = opsOf(folded);
    expect(ops.filter((o) => o === 'BatchNormalization')).to.have.length(2);
    expect(ops).to.include.members(['Add', 'AveragePool', 'MaxPool', 'Sigmoid', 'Tanh', 'Gemm', 'Flatten']);
    const f = await compareOnnx(folded, net, variables, test);
    figures.push(`custom (folded): ratio ${f.ratio.toExponential(2)}`);
    expectFaithful(f, 'custom, folded');
    const kept = exportOnnx(net, variables, [1, 28, 28], { foldBatchNorm: false });
    expect(opsOf(kept).filter((o) => o === 'BatchNormalization')).to.have.length(5);
    const c = await compareOnnx(kept, net, variables, test);
    figures.push(`custom (kept): ratio ${c.ratio.toExponential(2)}`);
    expectFaithful(c, 'custom, kept');
  });

  it('a custom sequential with named and nested children, a non-square kernel and global average pooling', async () => {
    const net = sequential(
      ['stem', sequential(['c', conv2d(6, 3, 5, { pad: [1, 2], stride: [1, 2] })], ['bn', batchNorm({ activation: 'relu' })])],
      maxPool2d([3, 2], [2, 1], [1, 0]),
      ['block', residual(sequential(conv2d(6, 3, 3, { pad: 1 }), batchNorm(), reluLayer()), { projection: true })],
      globalAvgPool(),
      affine(10),
    );
    const variables = trained(net, images, 9);
    const bytes = exportOnnx(net, variables, [1, 28, 28]);
    const m = decodeModel(bytes);
    expect(m.graph.node.map((n) => n.opType)).to.include.members(['GlobalAveragePool', 'Add', 'Conv']);
    expect(m.graph.initializer.map((t) => t.name)).to.include.members(['stem/c/W', 'block/f/conv1/W', 'block/proj/W']);
    expectFaithful(await compareOnnx(bytes, net, variables, headOfDataset(images.test, 300)), 'named and nested');
  });

  it('a network of one layer, and one of dropout only (the output is the input)', async () => {
    const one = affine(10);
    expectFaithful(await exportAndCompare(one, trained(one, flat, 3), [784], headOfDataset(flat.test, 200)), 'one affine');
    const none = dropout(0.5);
    const bytes = exportOnnx(none, { params: {}, state: {} }, [10]);
    expect(opsOf(bytes)).to.deep.equal(['Identity']);
    const session = await ort.InferenceSession.create(bytes);
    const x = Float32Array.from({ length: 20 }, (_, i) => i - 7.5);
    const out = await session.run({ input: new ort.Tensor('float32', x, [2, 10]) });
    expect(Array.from(out.logits.data as Float32Array)).to.deep.equal(Array.from(x));
  });

  it('refuses a layer it cannot export, naming it: a hand-written layer, or a kind with no ONNX mapping (with its path)', () => {
    const v = { params: {}, state: {} };
    expect(() => exportOnnx(sequential(flatten(), handWritten('mine'), affine(10)), v, [784])).to.throw(/"mine".*hand-written.*no ONNX mapping/);
    expect(() => exportOnnx(handWritten('alone'), v, [784])).to.throw(/network "alone" is a hand-written layer/);
    const net = sequential(['stem', affine(8)], residual(sequential(unmapped())));
    const init = net.init(key(0), [784]);
    expect(() => exportOnnx(net, { params: init.params, state: init.state }, [784]))
      .to.throw('exportOnnx: layer residual1/f/unmapped1 is a onnxSpecUnmapped, which has no ONNX mapping');
  });

  it('refuses variables that do not fit the network, and an input shape it cannot take', () => {
    const { net, variables } = loadBookNetwork('simple-convnet', join(fixtures, 'simple_convnet_2016.npz'));
    const other = sequential(['conv1', conv2d(30, 3, 3, { activation: 'relu' })], ['pool1', maxPool2d(2)], ['affine1', affine(100)], reluLayer(), ['affine2', affine(10)]);
    expect(() => exportOnnx(other, variables, [1, 28, 28])).to.throw(/variables do not fit.*conv1\/W is \[30,1,5,5\], not \[30,1,3,3\]/);
    expect(() => exportOnnx(net, variables, [784])).to.throw(/does not take input shape \[784\]/);
  });

  it('the command: --saved with --keep-batchnorm writes a file ONNX Runtime runs; bad flags are refused naming them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenfold-onnx-'));
    try {
      const net = models['mlp-bn'].build({ hidden: [32], classes: 10 });
      const variables = trained(net, flat, 4);
      const saved = join(dir, 'mlp-bn.tenfold');
      saveModel(saved, { net, variables, inputShape: [784], metadata: { model: 'mlp-bn' } });
      const run = (args: readonly string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/export.ts', ...args], { cwd: root, encoding: 'utf8' });
      const out = join(dir, 'sub', 'm.onnx');
      const r = run(['--saved', saved, '--onnx', out, '--keep-batchnorm', '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
      expect(summary).to.include({ model: 'mlp-bn', foldBatchNorm: false, opset: 13 });
      expect(summary.input).to.deep.equal({ name: 'input', shape: ['N', 784] });
      const bytes = new Uint8Array(readFileSync(out));
      expect(opsOf(bytes)).to.include('BatchNormalization');
      expectFaithful(await compareOnnx(bytes, net, variables, headOfDataset(flat.test, 200)), 'command output');

      const both = run(['--saved', saved, '--weights', 'x.npz', '--onnx', out]);
      expect(both.status).to.equal(2);
      expect(both.stderr).to.match(/give one of --weights, --checkpoint or --saved, not --weights and --saved/);
      expect(run(['--saved', saved]).stderr).to.match(/--onnx OUT.onnx is required/);
      expect(run(['--saved', saved, '--model', 'lenet5', '--onnx', out]).stderr).to.match(/--model lenet5 but --saved .* holds a mlp-bn/);
      expect(run(['--weights', join(fixtures, 'simple_convnet_2016.npz'), '--onnx', out]).stderr).to.match(/--model is required with --weights/);
      expect(run(['--model', 'simple-convnet', '--weights', join(fixtures, 'simple_convnet_2016.npz'), '--onnx', dir]).stderr).to.match(/--onnx .* is a directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the command: --checkpoint of a trained job (train --out), batch norm folded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenfold-onnx-'));
    try {
      const run = (script: string, args: readonly string[]) => spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8' });
      const ckpt = join(dir, 'run');
      const t = run('scripts/train.ts', ['--model', 'mlp-bn', '--hidden', '16', '--epochs', '1', '--train-eval-limit', '1000', '--out', ckpt, '--quiet']);
      expect(t.status, t.stderr).to.equal(0);
      const out = join(dir, 'c.onnx');
      const r = run('scripts/export.ts', ['--checkpoint', ckpt, '--onnx', out]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/wrote .*c\.onnx .*mlp-bn, input \[N, 784\] → logits \[N, 10\]/);
      const bytes = new Uint8Array(readFileSync(out));
      expect(opsOf(bytes)).to.deep.equal(['Gemm', 'Relu', 'Gemm']);
      const { net, variables } = loadCheckpointedModel(ckpt);
      const c = await compareOnnx(bytes, net, variables, flat.test);
      expectFaithful(c, 'checkpoint');
      expect(c.correct / c.total).to.be.above(0.85);
      expect(run('scripts/export.ts', ['--checkpoint', ckpt, '--model', 'lenet5', '--onnx', out]).stderr).to.match(/--model lenet5 but --checkpoint .* holds a mlp-bn/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
