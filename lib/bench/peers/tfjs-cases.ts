/**
 * The TensorFlow.js rows beside tenfold's: the same operations in tfjs's native NHWC layout.
 * Building a case loads nothing; its setup loads tfjs (so only list these when tfjsAvailable()).
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { BenchCase } from '../harness.ts';
import { BATCH, BN_SHAPE, bnLabel, convFlops, describeConv, type ConvShape } from '../conv-shapes.ts';
import { tfjsLabel, type TfjsBackend } from './names.ts';
import { tfjsWasmThreads, useTfjs } from './tfjs.ts';
import { filterGradient, padsOf, tfjsNets, tfjsTrainer } from './tfjs-nets.ts';

type Tensor4D = TF.Tensor4D;

const threadsOf = (backend: TfjsBackend): number => (backend === 'wasm' ? tfjsWasmThreads() : 1);

/** GEMM C = A·B of square n×n float32. */
export const tfjsGemmCase = (n: number, backend: TfjsBackend): BenchCase => {
  let release = (): void => undefined;
  return {
    kernel: 'gemm', shape: `${n}x${n}x${n}`, library: tfjsLabel(backend), threads: threadsOf(backend), flops: 2 * n ** 3,
    setup: async () => {
      const tf = await useTfjs(backend);
      const a = tf.randomUniform([n, n], -1, 1);
      const b = tf.randomUniform([n, n], -1, 1);
      release = () => { a.dispose(); b.dispose(); };
      return () => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); };
    },
    teardown: () => release(),
  };
};

/**
 * tfjs convolution in its native NHWC layout; backward is the input and filter gradients (on
 * tfjs-wasm, which has no filter-gradient kernel, the filter gradient is a convolution too).
 */
export const tfjsConvCase = (s: ConvShape, backend: TfjsBackend, backward: boolean): BenchCase => {
  let release = (): void => undefined;
  return {
    kernel: backward ? 'conv-backward' : 'conv-forward', shape: describeConv(s), library: tfjsLabel(backend),
    threads: threadsOf(backend), flops: (backward ? 2 : 1) * convFlops(s),
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

/** 2×2/2 max pooling of SimpleConvNet's conv output. */
export const tfjsPoolCase = (backend: TfjsBackend): BenchCase => {
  let release = (): void => undefined;
  return {
    // tfjs keeps no argmax (its gradient recomputes the pooling): beside tenfold's inference row
    kernel: 'maxpool-forward', shape: `${BATCH}x30x24x24 2x2/2 inference`, library: tfjsLabel(backend), threads: threadsOf(backend),
    setup: async () => {
      const tf = await useTfjs(backend);
      const x = tf.randomNormal([BATCH, 24, 24, 30]) as Tensor4D;
      release = () => x.dispose();
      return () => { const y = tf.maxPool(x, 2, 2, 'valid'); y.dataSync(); y.dispose(); };
    },
    teardown: () => release(),
  };
};

/** tfjs batch norm in training mode (NHWC): batch moments, then the normalisation. */
export const tfjsBatchNormCase = (backend: TfjsBackend): BenchCase => {
  let release = (): void => undefined;
  return {
    kernel: 'batchnorm-forward', shape: bnLabel, library: tfjsLabel(backend), threads: threadsOf(backend),
    setup: async () => {
      const tf = await useTfjs(backend);
      const [c, h, w] = BN_SHAPE;
      const x = tf.randomNormal([BATCH, h, w, c]) as Tensor4D;
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

/** The book's network's training step in TensorFlow.js (tfjs-nets.ts): NHWC, Adam, batch BATCH. */
// the names spelled out, not `keyof typeof tfjsNets`, so this file's .d.ts needs no tfjs types
export const tfjsTrainStepCase = (name: 'simple-convnet' | 'deep-convnet', backend: TfjsBackend): BenchCase => {
  let release = (): void => undefined;
  return {
    kernel: 'train-step', shape: `${name} batch ${BATCH} adam`, library: tfjsLabel(backend), threads: threadsOf(backend),
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
