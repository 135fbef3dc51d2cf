/**
 * The book's convolutional networks (ch. 7–8) and LeNet-5, as `sequential` networks producing
 * logits for [1, 28, 28] input. Layers are named explicitly so parameter paths read conv1/W, affine2/b.
 * Each conv → ReLU pair of the book is one conv2d with the ReLU fused on (the same function, faster).
 */
import { he, type Initializer } from '../layers/init.ts';
import { reluLayer } from '../layers/activations.ts';
import { affine } from '../layers/affine.ts';
import { batchNorm } from '../layers/batchnorm.ts';
import { conv2d } from '../layers/conv.ts';
import { dropout } from '../layers/dropout.ts';
import type { Layer } from '../layers/layer.ts';
import { maxPool2d } from '../layers/pooling.ts';
import { sequential, type LayerEntry } from '../layers/sequential.ts';

/** Options shared by the conv nets. */
export interface ConvNetOptions {
  /** Output classes (default 10). */
  readonly classes?: number;
  /** Weight initialiser of every conv and affine layer (default He). */
  readonly init?: Initializer;
}

const named = (name: string, layer: Layer): LayerEntry => [name, layer];

/** A 3×3 convolution with the given padding and a fused ReLU, as in DeepConvNet. */
const conv3 = (filters: number, pad: number, init: Initializer): Layer =>
  conv2d(filters, 3, 3, { pad, init, activation: 'relu' });

/**
 * SimpleConvNet (book ch. 7): conv 30@5×5 → ReLU → maxpool 2×2/2 → affine 100 → ReLU → affine.
 * The book initialises with std 0.01; He is the default here.
 */
export const simpleConvNet = (options: ConvNetOptions & { readonly hidden?: number; readonly filters?: number } = {}): Layer => {
  const init = options.init ?? he();
  return sequential(
    named('conv1', conv2d(options.filters ?? 30, 5, 5, { init, activation: 'relu' })),
    named('pool1', maxPool2d(2)),
    named('affine1', affine(options.hidden ?? 100, { init })),
    named('relu1', reluLayer()),
    named('affine2', affine(options.classes ?? 10, { init })),
  );
};

/**
 * DeepConvNet (book ch. 8), exactly the book's list: six 3×3 convs (16, 16, 32, 32 with pad 2, 64, 64)
 * with ReLU and a 2×2 max pool after every pair, then affine 50 → ReLU → dropout 0.5 → affine → dropout 0.5.
 */
export const deepConvNet = (options: ConvNetOptions = {}): Layer => {
  const init = options.init ?? he();
  return sequential(
    named('conv1', conv3(16, 1, init)),
    named('conv2', conv3(16, 1, init)),
    named('pool1', maxPool2d(2)),
    named('conv3', conv3(32, 1, init)),
    // pad 2 as in the book: 14×14 → 16×16, so that three pools end at 4×4 (64·4·4 = 1024 inputs)
    named('conv4', conv3(32, 2, init)),
    named('pool2', maxPool2d(2)),
    named('conv5', conv3(64, 1, init)),
    named('conv6', conv3(64, 1, init)),
    named('pool3', maxPool2d(2)),
    named('affine1', affine(50, { init })), named('relu1', reluLayer()),
    named('dropout1', dropout(0.5)),
    named('affine2', affine(options.classes ?? 10, { init })),
    named('dropout2', dropout(0.5)),
  );
};

/**
 * DeepConvNet with batch norm: the book's six 3×3 convs, each followed by per-channel batch norm
 * and ReLU (ch. 6's advice applied to ch. 8's net). The head is wider and lighter than the book's
 * (affine 128, dropout 0.3, none on the logits): on Fashion-MNIST the book's 50 units with dropout
 * 0.5 held a 300-step probe at 82% test against 88%.
 */
export const deepConvNetBn = (options: ConvNetOptions & { readonly hidden?: number; readonly dropout?: number } = {}): Layer => {
  const init = options.init ?? he();
  const block = (i: number, filters: number, pad: number): LayerEntry[] => [
    named(`conv${i}`, conv2d(filters, 3, 3, { pad, init })), named(`batchnorm${i}`, batchNorm()), named(`relu${i}`, reluLayer()),
  ];
  return sequential(
    ...block(1, 16, 1), ...block(2, 16, 1), named('pool1', maxPool2d(2)),
    ...block(3, 32, 1), ...block(4, 32, 2), named('pool2', maxPool2d(2)),
    ...block(5, 64, 1), ...block(6, 64, 1), named('pool3', maxPool2d(2)),
    named('affine1', affine(options.hidden ?? 128, { init })), named('relu7', reluLayer()),
    named('dropout1', dropout(options.dropout ?? 0.3)),
    named('affine2', affine(options.classes ?? 10, { init })),
  );
};

/** LeNet-5 with ReLU and max pooling: conv 6@5×5 pad 2 → pool → conv 16@5×5 → pool → affine 120 → 84 → classes. */
export const lenet5 = (options: ConvNetOptions = {}): Layer => {
  const init = options.init ?? he();
  return sequential(
    named('conv1', conv2d(6, 5, 5, { pad: 2, init, activation: 'relu' })),
    named('pool1', maxPool2d(2)),
    named('conv2', conv2d(16, 5, 5, { init, activation: 'relu' })),
    named('pool2', maxPool2d(2)),
    named('affine1', affine(120, { init })), named('relu1', reluLayer()),
    named('affine2', affine(84, { init })), named('relu2', reluLayer()),
    named('affine3', affine(options.classes ?? 10, { init })),
  );
};
