/** Convolution, pooling and whole training steps at the book's network shapes, batch 100. */
import { inferenceCtx, trainCtx, type Layer, type Mode } from '../lib/layers/layer.ts';
import { conv2d } from '../lib/layers/conv.ts';
import { maxPool2d } from '../lib/layers/pooling.ts';
import { batchNorm } from '../lib/layers/batchnorm.ts';
import { softmaxCrossEntropy } from '../lib/losses.ts';
import { deepConvNet, deepConvNetBn, simpleConvNet } from '../lib/models/convnets.ts';
import { adam } from '../lib/optim/optimizers.ts';
import { key, normal, randint, split, uniform } from '../lib/random.ts';
import { initTrainState, trainStep } from '../lib/train/fit.ts';
import type { BenchCase } from './harness.ts';
import { runningOn, wasmActive } from './wasm-variants.ts';
import { BATCH, convShapes, type ConvShape } from './conv-shapes.ts';
import { tfjsLabel, tfjsWasmThreads, useTfjs, type TfjsBackend } from './peers.ts';
import { filterGradient, padsOf, tfjsNets, tfjsTrainer } from './tfjs-nets.ts';

type Tensor4D = import('@tensorflow/tfjs-core').Tensor4D;


const describe = (s: ConvShape): string => `${s.name} ${BATCH}x${s.c}x${s.hw}x${s.hw}*${s.f}@${s.k}x${s.k}p${s.pad}`;
const convFlops = (s: ConvShape): number => {
  const o = s.hw + 2 * s.pad - s.k + 1;
  return 2 * BATCH * o * o * s.f * s.c * s.k * s.k;
};


/** A layer's forward (and optionally backward) on random input, in training mode. */
const layerCase = (kernel: string, shape: string, threads: number, layer: Layer, input: readonly number[], backward: boolean,
  flops?: number, mode: Mode = 'train'): BenchCase => ({
  kernel, shape, library: 'tenfold', threads, flops,
  setup: () => {
    const [kInit, kX, kCtx] = split(key(7), 3);
    const { params, state } = layer.init(kInit, input);
    const x = normal(kX, [BATCH, ...input]);
    const ctx = mode === 'train' ? trainCtx(kCtx, state) : inferenceCtx(kCtx, state);
    if (!backward) return () => { layer.forward(params, x, ctx); };
    const fwd = layer.forward(params, x, ctx);
    const dy = normal(kX, [...fwd.y.shape]);
    return () => { layer.backward(params, fwd.cache, dy); };
  },
});

/**
 * The same conv2d forward (or backward) on the wasm kernels with Winograd turned off (the direct
 * kernels), so the Winograd speed-up shows as a ratio in the same run. Only where tenfold runs wasm.
 */
const directConvCase = (s: ConvShape, threads: number, backward: boolean): BenchCase => ({
  kernel: backward ? 'conv-backward' : 'conv-forward', shape: describe(s), library: 'tenfold-direct', threads,
  flops: (backward ? 2 : 1) * convFlops(s),
  setup: async () => {
    const withDirect = await runningOn('tenfold-direct', threads, { winograd: false });
    const layer = conv2d(s.f, s.k, s.k, { pad: s.pad }) as unknown as Layer;
    const [kInit, kX, kCtx] = split(key(7), 3);
    const { params, state } = layer.init(kInit, [s.c, s.hw, s.hw]);
    const x = normal(kX, [BATCH, s.c, s.hw, s.hw]);
    const ctx = trainCtx(kCtx, state);
    if (!backward) return () => { withDirect(() => layer.forward(params, x, ctx)); };
    const fwd = withDirect(() => layer.forward(params, x, ctx));
    const dy = normal(kX, [...fwd.y.shape]);
    return () => { withDirect(() => layer.backward(params, fwd.cache, dy)); };
  },
});

/**
 * tfjs convolution in its native NHWC layout; backward is the input and filter gradients (on
 * tfjs-wasm, which has no filter-gradient kernel, the filter gradient is a convolution too).
 */
const tfjsConvCase = (s: ConvShape, backend: TfjsBackend, backward: boolean): BenchCase => {
  let release = (): void => undefined;
  return {
    kernel: backward ? 'conv-backward' : 'conv-forward', shape: describe(s), library: tfjsLabel(backend),
    threads: backend === 'wasm' ? tfjsWasmThreads() : 1, flops: (backward ? 2 : 1) * convFlops(s),
    setup: async () => {
      const tf = await useTfjs(backend);
      const x = tf.randomNormal([BATCH, s.hw, s.hw, s.c]) as Tensor4D;
      const w = tf.randomNormal([s.k, s.k, s.c, s.f]) as Tensor4D;
      const y = tf.conv2d(x, w, 1, padsOf(s.pad));
      const dy = tf.randomNormal(y.shape) as Tensor4D;
      release = () => { x.dispose(); w.dispose(); y.dispose(); dy.dispose(); };
      if (!backward) return () => { const o = tf.conv2d(x, w, 1, padsOf(s.pad)); o.dataSync(); o.dispose(); };
      return () => {
        const [dx, dw] = tf.tidy(() => [tf.conv2dTranspose(dy, w, x.shape, 1, padsOf(s.pad)), filterGradient(tf, x, dy, w, s.pad)]);
        dx.dataSync(); dw.dataSync(); dx.dispose(); dw.dispose();
      };
    },
    teardown: () => release(),
  };
};

const tfjsPoolCase = (backend: TfjsBackend): BenchCase => {
  let release = (): void => undefined;
  return {
    // tfjs keeps no argmax (its gradient recomputes the pooling): beside tenfold's inference row
    kernel: 'maxpool-forward', shape: `${BATCH}x30x24x24 2x2/2 inference`, library: tfjsLabel(backend), threads: backend === 'wasm' ? tfjsWasmThreads() : 1,
    setup: async () => {
      const tf = await useTfjs(backend);
      const x = tf.randomNormal([BATCH, 24, 24, 30]) as import('@tensorflow/tfjs-core').Tensor4D;
      release = () => x.dispose();
      return () => { const y = tf.maxPool(x, 2, 2, 'valid'); y.dataSync(); y.dispose(); };
    },
    teardown: () => release(),
  };
};

/** Batch-norm shape: DeepConvNet-BN's first block. */
const BN_SHAPE = [16, 28, 28] as const;
const bnLabel = `${BATCH}x${BN_SHAPE.join('x')} train`;

/** tfjs batch norm in training mode (NHWC): batch moments, then the normalisation. */
const tfjsBatchNormCase = (backend: TfjsBackend): BenchCase => {
  let release = (): void => undefined;
  return {
    kernel: 'batchnorm-forward', shape: bnLabel, library: tfjsLabel(backend), threads: backend === 'wasm' ? tfjsWasmThreads() : 1,
    setup: async () => {
      const tf = await useTfjs(backend);
      const [c, h, w] = BN_SHAPE;
      const x = tf.randomNormal([BATCH, h, w, c]) as import('@tensorflow/tfjs-core').Tensor4D;
      const gamma = tf.ones([c]);
      const beta = tf.zeros([c]);
      release = () => { x.dispose(); gamma.dispose(); beta.dispose(); };
      return () => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        const y = tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
        y.dataSync(); y.dispose(); mean.dispose(); variance.dispose();
      };
    },
    teardown: () => release(),
  };
};

/**
 * One full training step (forward, loss, backward, Adam) of a model at batch 100; with
 * `copyIn`, on wasm kernels that keep no outputs resident (every input copied in), beside.
 */
const trainStepCase = (name: string, net: Layer, threads: number, copyIn = false): BenchCase => ({
  kernel: 'train-step', shape: `${name} batch ${BATCH} adam`, library: copyIn ? 'tenfold-copy' : 'tenfold', threads,
  setup: async () => {
    const run = copyIn ? await runningOn('tenfold-copy', threads, { residentBytes: 0 }) : <T>(f: () => T): T => f();
    const model = { net, loss: softmaxCrossEntropy };
    const opt = adam(0.001);
    let ts = initTrainState(model, opt, key(1), [1, 28, 28]);
    const step = trainStep(model, opt);
    const [kx, ky] = split(key(2), 2);
    const batch = { x: uniform(kx, [BATCH, 1, 28, 28]), labels: randint(ky, BATCH, 0, 10) };
    return () => { ts = run(() => step(ts, batch).state); };
  },
});

/** The same training step in TensorFlow.js (bench/tfjs-nets.ts): the book's network, NHWC, Adam. */
const tfjsTrainStepCase = (name: keyof typeof tfjsNets, backend: TfjsBackend): BenchCase => {
  let release = (): void => undefined;
  return {
    kernel: 'train-step', shape: `${name} batch ${BATCH} adam`, library: tfjsLabel(backend), threads: backend === 'wasm' ? tfjsWasmThreads() : 1,
    setup: async () => {
      const tf = await useTfjs(backend);
      const trainer = tfjsTrainer(tf, tfjsNets[name], [28, 28, 1]);
      const x = tf.randomUniform([BATCH, 28, 28, 1]) as Tensor4D;
      const labels = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), 'int32');
      release = () => { trainer.dispose(); x.dispose(); labels.dispose(); };
      return () => { trainer.step(x, labels); };
    },
    teardown: () => release(),
  };
};

/** Layer-level cases, tenfold beside tfjs-wasm (and tfjs-cpu on the smallest shape). */
export const layerCases = (threads: number): BenchCase[] => [
  ...convShapes.flatMap((s): BenchCase[] => {
    const layer = conv2d(s.f, s.k, s.k, { pad: s.pad }) as unknown as Layer;
    const input = [s.c, s.hw, s.hw];
    const winograd = s.k === 3 && s.c >= 4 && wasmActive();
    return [
      layerCase('conv-forward', describe(s), threads, layer, input, false, convFlops(s)),
      ...(winograd ? [directConvCase(s, threads, false)] : []),
      tfjsConvCase(s, 'wasm', false),
      ...(s.c === 1 ? [tfjsConvCase(s, 'cpu', false)] : []),
      layerCase('conv-backward', describe(s), threads, layer, input, true, 2 * convFlops(s)),
      ...(winograd ? [directConvCase(s, threads, true)] : []),
      tfjsConvCase(s, 'wasm', true),
      ...(s.c === 1 ? [tfjsConvCase(s, 'cpu', true)] : []),
    ];
  }),
  layerCase('maxpool-forward', `${BATCH}x30x24x24 2x2/2`, threads, maxPool2d(2) as unknown as Layer, [30, 24, 24], false),
  layerCase('maxpool-forward', `${BATCH}x30x24x24 2x2/2 inference`, threads, maxPool2d(2) as unknown as Layer, [30, 24, 24], false,
    undefined, 'inference'),
  tfjsPoolCase('wasm'),
  layerCase('maxpool-backward', `${BATCH}x30x24x24 2x2/2`, threads, maxPool2d(2) as unknown as Layer, [30, 24, 24], true),
  layerCase('batchnorm-forward', bnLabel, threads, batchNorm() as unknown as Layer, BN_SHAPE, false),
  tfjsBatchNormCase('wasm'),
  layerCase('batchnorm-backward', bnLabel, threads, batchNorm() as unknown as Layer, BN_SHAPE, true),
  trainStepCase('simple-convnet', simpleConvNet(), threads),
  ...(wasmActive() ? [trainStepCase('simple-convnet', simpleConvNet(), threads, true)] : []),
  tfjsTrainStepCase('simple-convnet', 'wasm'),
  trainStepCase('deep-convnet', deepConvNet(), threads),
  ...(wasmActive() ? [trainStepCase('deep-convnet', deepConvNet(), threads, true)] : []),
  tfjsTrainStepCase('deep-convnet', 'wasm'),
  trainStepCase('deep-convnet-bn', deepConvNetBn(), threads),
];
