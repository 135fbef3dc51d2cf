/** Convolution, pooling and whole training steps at the book's network shapes, batch 100. */
import { inferenceCtx, trainCtx, type Layer, type Mode } from '../layers/layer.ts';
import { conv2d } from '../layers/conv.ts';
import { maxPool2d } from '../layers/pooling.ts';
import { batchNorm } from '../layers/batchnorm.ts';
import { softmaxCrossEntropy } from '../losses.ts';
import { deepConvNet, deepConvNetBn, simpleConvNet } from '../models/convnets.ts';
import { models } from '../models/registry.ts';
import { adam } from '../optim/optimizers.ts';
import { key, normal, randint, split, uniform } from '../random.ts';
import { initTrainState, trainStep } from '../train/fit.ts';
import type { BenchCase } from './harness.ts';
import { runningOn, wasmActive } from './wasm-variants.ts';
import { BATCH, BN_SHAPE, bnLabel, convFlops, convShapes, describeConv, type ConvShape } from './conv-shapes.ts';
import { tfjsBatchNormCase, tfjsConvCase, tfjsPoolCase, tfjsTrainStepCase } from './peers/tfjs-cases.ts';

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
  kernel: backward ? 'conv-backward' : 'conv-forward', shape: describeConv(s), library: 'tenfold-direct', threads,
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

/** One image, as the conv nets take it. */
const IMAGE = [1, 28, 28];

/**
 * One full training step (forward, loss, backward, Adam) of a model at batch 100 on inputs of
 * `input` per example; with `copyIn`, on wasm kernels that keep no outputs resident (every input
 * copied in), beside.
 */
const trainStepCase = (name: string, net: Layer, threads: number, copyIn = false, input: readonly number[] = IMAGE): BenchCase => ({
  kernel: 'train-step', shape: `${name} batch ${BATCH} adam`, library: copyIn ? 'tenfold-copy' : 'tenfold', threads,
  setup: async () => {
    const run = copyIn ? await runningOn('tenfold-copy', threads, { residentBytes: 0 }) : <T>(f: () => T): T => f();
    const model = { net, loss: softmaxCrossEntropy };
    const opt = adam(0.001);
    let ts = initTrainState(model, opt, key(1), input);
    const step = trainStep(model, opt);
    const [kx, ky] = split(key(2), 2);
    const batch = { x: uniform(kx, [BATCH, ...input]), labels: randint(ky, BATCH, 0, 10) };
    return () => { ts = run(() => step(ts, batch).state); };
  },
});

/** Layer-level cases, tenfold beside (with `peers`) tfjs-wasm, and tfjs-cpu on the smallest shape. */
export const layerCases = (threads: number, peers: boolean): BenchCase[] => {
  const peer = (c: () => BenchCase): BenchCase[] => (peers ? [c()] : []);
  return [
    ...convShapes.flatMap((s): BenchCase[] => {
      const layer = conv2d(s.f, s.k, s.k, { pad: s.pad }) as unknown as Layer;
      const input = [s.c, s.hw, s.hw];
      const winograd = s.k === 3 && s.c >= 4 && wasmActive();
      return [
        layerCase('conv-forward', describeConv(s), threads, layer, input, false, convFlops(s)),
        ...(winograd ? [directConvCase(s, threads, false)] : []),
        ...peer(() => tfjsConvCase(s, 'wasm', false)),
        ...(s.c === 1 ? peer(() => tfjsConvCase(s, 'cpu', false)) : []),
        layerCase('conv-backward', describeConv(s), threads, layer, input, true, 2 * convFlops(s)),
        ...(winograd ? [directConvCase(s, threads, true)] : []),
        ...peer(() => tfjsConvCase(s, 'wasm', true)),
        ...(s.c === 1 ? peer(() => tfjsConvCase(s, 'cpu', true)) : []),
      ];
    }),
    layerCase('maxpool-forward', `${BATCH}x30x24x24 2x2/2`, threads, maxPool2d(2) as unknown as Layer, [30, 24, 24], false),
    layerCase('maxpool-forward', `${BATCH}x30x24x24 2x2/2 inference`, threads, maxPool2d(2) as unknown as Layer, [30, 24, 24], false,
      undefined, 'inference'),
    ...peer(() => tfjsPoolCase('wasm')),
    layerCase('maxpool-backward', `${BATCH}x30x24x24 2x2/2`, threads, maxPool2d(2) as unknown as Layer, [30, 24, 24], true),
    layerCase('batchnorm-forward', bnLabel, threads, batchNorm() as unknown as Layer, BN_SHAPE, false),
    ...peer(() => tfjsBatchNormCase('wasm')),
    layerCase('batchnorm-backward', bnLabel, threads, batchNorm() as unknown as Layer, BN_SHAPE, true),
    // the book's MLP as `train --model mlp --hidden 100` builds it, on flat images
    trainStepCase('mlp-100', models.mlp.build({ hidden: [100], classes: 10 }), threads, false, [784]),
    trainStepCase('simple-convnet', simpleConvNet(), threads),
    ...(wasmActive() ? [trainStepCase('simple-convnet', simpleConvNet(), threads, true)] : []),
    ...peer(() => tfjsTrainStepCase('simple-convnet', 'wasm')),
    trainStepCase('deep-convnet', deepConvNet(), threads),
    ...(wasmActive() ? [trainStepCase('deep-convnet', deepConvNet(), threads, true)] : []),
    ...peer(() => tfjsTrainStepCase('deep-convnet', 'wasm')),
    trainStepCase('deep-convnet-bn', deepConvNetBn(), threads),
  ];
};
