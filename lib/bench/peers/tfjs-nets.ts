/**
 * The book's SimpleConvNet and DeepConvNet in TensorFlow.js ops (NHWC), with one training step
 * (forward, softmax cross-entropy, backward, Adam) for the bench's peer rows. tfjs-core's node
 * bundle registers no gradients, so backward calls the kernels tf.grad would run, layer by layer.
 */
import type * as TF from '@tensorflow/tfjs-core';

type Tensor = TF.Tensor;
type Tensor4D = TF.Tensor4D;
type Pads = [[0, 0], [number, number], [number, number], [0, 0]];

/** One layer of a network description. */
export type TfjsLayer =
  | { readonly kind: 'conv'; readonly filters: number; readonly size: number; readonly pad: number }
  | { readonly kind: 'relu' }
  | { readonly kind: 'pool' }
  | { readonly kind: 'dense'; readonly units: number }
  | { readonly kind: 'dropout'; readonly rate: number };

const conv = (filters: number, pad: number, size = 3): TfjsLayer => ({ kind: 'conv', filters, size, pad });
const relu: TfjsLayer = { kind: 'relu' };
const pool: TfjsLayer = { kind: 'pool' };

/** The book's networks (ch07 SimpleConvNet, ch08 DeepConvNet), layer for layer as in lib/models. */
export const tfjsNets: Readonly<Record<'simple-convnet' | 'deep-convnet', readonly TfjsLayer[]>> = {
  'simple-convnet': [conv(30, 0, 5), relu, pool, { kind: 'dense', units: 100 }, relu, { kind: 'dense', units: 10 }],
  'deep-convnet': [
    conv(16, 1), relu, conv(16, 1), relu, pool, conv(32, 1), relu, conv(32, 2), relu, pool,
    conv(64, 1), relu, conv(64, 1), relu, pool,
    { kind: 'dense', units: 50 }, relu, { kind: 'dropout', rate: 0.5 }, { kind: 'dense', units: 10 }, { kind: 'dropout', rate: 0.5 },
  ],
};

/** tfjs's explicit padding of an NHWC convolution, p on every side of the image. */
export const padsOf = (p: number): Pads => [[0, 0], [p, p], [p, p], [0, 0]];

/**
 * dL/dW of a stride-1 convolution. The cpu backend has the kernel; tfjs-wasm has none, so there
 * it is a convolution too (as one registers it by hand): x with batch and channels swapped,
 * convolved with dy as the filter, gives dW with its axes swapped.
 */
export const filterGradient = (tf: typeof TF, x: Tensor4D, dy: Tensor4D, w: Tensor4D, pad: number): Tensor => {
  if (tf.getBackend() !== 'wasm') {
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: padsOf(pad), dataFormat: 'NHWC', filterShape: w.shape });
  }
  const xT = tf.transpose(x, [3, 1, 2, 0]); // [C, H, W, N]
  const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, F]
  return tf.transpose(tf.conv2d(xT, dyT, 1, padsOf(pad)), [1, 2, 0, 3]); // [C, KH, KW, F] → [KH, KW, C, F]
};

/** A gradient of the loss, by the variable's name ("w3": layer 3's weights, "b3": its bias). */
export interface NamedGradient {
  readonly name: string;
  readonly tensor: Tensor;
}

/** A tfjs network with its variables: its loss and gradients on a batch, and one Adam step. */
export interface TfjsTrainer {
  /** The variables by short name ("w0", "b0", …); tfjs registers them under names unique to this trainer. */
  readonly variables: ReadonlyMap<string, TF.Variable>;
  /** The mean softmax cross-entropy and every variable's gradient (call it inside tf.tidy). */
  readonly gradients: (x: Tensor4D, labels: Tensor) => { readonly loss: Tensor; readonly grads: readonly NamedGradient[] };
  /** One training step; returns the loss before it. */
  readonly step: (x: Tensor4D, labels: Tensor) => number;
  readonly dispose: () => void;
}

let trainers = 0;

/** Builds the network's variables (He initialisation) for NHWC input and returns its Adam training step. */
export const tfjsTrainer = (tf: typeof TF, layers: readonly TfjsLayer[], input: readonly [number, number, number], lr = 0.001): TfjsTrainer => {
  const vars = new Map<string, TF.Variable>();
  const id = ++trainers;
  const variable = (name: string, init: Tensor): TF.Variable => {
    const v = tf.variable(init, true, `tfjs-nets-${id}-${name}`);
    vars.set(name, v);
    return v;
  };
  const weights = new Map<number, { readonly w: TF.Variable; readonly b: TF.Variable }>();
  let shape: number[] = [...input];
  tf.tidy(() => layers.forEach((l, i) => { // variables outlive tidy; their initial values do not
    const fanIn = l.kind === 'conv' ? l.size * l.size * shape[2] : shape.reduce((a, b) => a * b, 1);
    if (l.kind === 'conv') {
      const w = variable(`w${i}`, tf.mul(tf.randomNormal([l.size, l.size, shape[2], l.filters]), Math.sqrt(2 / fanIn)));
      weights.set(i, { w, b: variable(`b${i}`, tf.zeros([l.filters])) });
      shape = [shape[0] + 2 * l.pad - l.size + 1, shape[1] + 2 * l.pad - l.size + 1, l.filters];
    } else if (l.kind === 'dense') {
      const w = variable(`w${i}`, tf.mul(tf.randomNormal([fanIn, l.units]), Math.sqrt(2 / fanIn)));
      weights.set(i, { w, b: variable(`b${i}`, tf.zeros([l.units])) });
      shape = [l.units];
    } else if (l.kind === 'pool') {
      shape = [Math.floor(shape[0] / 2), Math.floor(shape[1] / 2), shape[2]];
    }
  }));
  const optimizer = tf.train.adam(lr);
  const params = (i: number): { readonly w: TF.Variable; readonly b: TF.Variable } => {
    const p = weights.get(i);
    if (p === undefined) throw new Error(`layer ${i} has no parameters`);
    return p;
  };

  const gradients = (x: Tensor4D, labels: Tensor): { readonly loss: Tensor; readonly grads: readonly NamedGradient[] } => {
    // forward, keeping each layer's input (and the mask or output its backward needs)
    const inputs: Tensor[] = [];
    const extras: (Tensor | undefined)[] = [];
    let h: Tensor = x;
    layers.forEach((l, i) => {
      inputs.push(h);
      let extra: Tensor | undefined;
      if (l.kind === 'conv') {
        h = tf.add(tf.conv2d(h as Tensor4D, params(i).w as unknown as Tensor4D, 1, padsOf(l.pad)), params(i).b);
      } else if (l.kind === 'relu') {
        h = tf.relu(h);
      } else if (l.kind === 'pool') {
        h = tf.maxPool(h as Tensor4D, 2, 2, 'valid');
      } else if (l.kind === 'dense') {
        h = tf.add(tf.matMul(tf.reshape(h, [h.shape[0], -1]), params(i).w), params(i).b);
      } else {
        extra = tf.div(tf.cast(tf.greaterEqual(tf.randomUniform(h.shape), l.rate), 'float32'), 1 - l.rate);
        h = tf.mul(h, extra);
      }
      extras.push(l.kind === 'pool' ? h : extra);
    });
    const n = h.shape[0];
    const probs = tf.softmax(h);
    const onehot = tf.oneHot(labels as TF.Tensor1D, h.shape[1] ?? 10);
    const loss = tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.log(tf.add(probs, 1e-7))), 1)));
    // backward, last layer first
    let dy: Tensor = tf.div(tf.sub(probs, onehot), n);
    const grads: NamedGradient[] = [];
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i];
      const xin = inputs[i];
      if (l.kind === 'conv') {
        const { w } = params(i);
        grads.push({ name: `w${i}`, tensor: filterGradient(tf, xin as Tensor4D, dy as Tensor4D, w as unknown as Tensor4D, l.pad) });
        grads.push({ name: `b${i}`, tensor: tf.sum(dy, [0, 1, 2]) });
        if (i > 0) dy = tf.conv2dTranspose(dy as Tensor4D, w as unknown as Tensor4D, xin.shape as [number, number, number, number], 1, padsOf(l.pad));
      } else if (l.kind === 'relu') {
        dy = tf.mul(dy, tf.step(xin));
      } else if (l.kind === 'pool') {
        dy = tf.engine().runKernel('MaxPoolGrad', { dy, input: xin, output: extras[i] as Tensor }, { filterSize: 2, strides: 2, pad: 'valid' });
      } else if (l.kind === 'dense') {
        const { w } = params(i);
        const x2 = tf.reshape(xin, [n, -1]);
        grads.push({ name: `w${i}`, tensor: tf.matMul(x2, dy, true, false) });
        grads.push({ name: `b${i}`, tensor: tf.sum(dy, 0) });
        dy = tf.reshape(tf.matMul(dy, w, false, true), xin.shape);
      } else {
        dy = tf.mul(dy, extras[i] as Tensor);
      }
    }
    return { loss, grads };
  };

  const step = (x: Tensor4D, labels: Tensor): number => tf.tidy(() => {
    const { loss, grads } = gradients(x, labels);
    optimizer.applyGradients(grads.map((g) => ({ name: vars.get(g.name)?.name ?? g.name, tensor: g.tensor })));
    return loss.dataSync()[0];
  });

  return { variables: vars, gradients, step, dispose: () => { optimizer.dispose(); for (const v of vars.values()) v.dispose(); } };
};
