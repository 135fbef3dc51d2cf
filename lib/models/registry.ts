/** Models by the names the command line uses. */
import { fixedStd, initializers, type Initializer } from '../layers/init.ts';
import type { Layer } from '../layers/layer.ts';
import { deepConvNet, deepConvNetBn, lenet5, simpleConvNet } from './convnets.ts';
import { deepMlp } from './deep-mlp.ts';
import { mlp } from './mlp.ts';

/** What every model builder may be given. */
export interface BuildOptions {
  /** Hidden layer sizes (MLPs). */
  readonly hidden: readonly number[];
  /** Weight initialiser; each model has its own default when omitted. */
  readonly init?: Initializer;
  readonly classes: number;
}

/** A named model: how to build it and whether it takes flat vectors or NCHW images. */
export interface ModelEntry {
  readonly build: (o: BuildOptions) => Layer;
  readonly flatInput: boolean;
  readonly description: string;
}

/** Every model the scripts can train, by name. */
export const models = {
  // the book's TwoLayerNet draws weights with std 0.01 (weight_init_std), so plain mlp does too
  mlp: { build: (o) => mlp({ hidden: o.hidden, classes: o.classes, init: o.init ?? fixedStd(0.01) }), flatInput: true, description: 'affine/ReLU layers, init std 0.01 as the book\'s TwoLayerNet (ch. 5)' },
  'mlp-bn': { build: (o) => deepMlp({ hidden: o.hidden, classes: o.classes, init: o.init, batchNorm: true }), flatInput: true, description: 'MLP with batch norm after every hidden affine (book ch. 6)' },
  'mlp-dropout': { build: (o) => deepMlp({ hidden: o.hidden, classes: o.classes, init: o.init, dropout: 0.2 }), flatInput: true, description: 'MLP with dropout 0.2 after every hidden ReLU (book ch. 6)' },
  // the conv nets are the book's fixed architectures: --hidden does not apply to them
  'simple-convnet': { build: (o) => simpleConvNet({ classes: o.classes, init: o.init }), flatInput: false, description: 'SimpleConvNet: conv 30@5×5, pool, affine 100 (book ch. 7)' },
  'deep-convnet': { build: (o) => deepConvNet({ classes: o.classes, init: o.init }), flatInput: false, description: 'DeepConvNet: six 3×3 convs, dropout (book ch. 8)' },
  'deep-convnet-bn': { build: (o) => deepConvNetBn({ classes: o.classes, init: o.init }), flatInput: false, description: 'DeepConvNet with batch norm after every conv, affine 128 and dropout 0.3 (none on the logits)' },
  lenet5: { build: (o) => lenet5({ classes: o.classes, init: o.init }), flatInput: false, description: 'LeNet-5 with ReLU and max pooling' },
} as const satisfies Readonly<Record<string, ModelEntry>>;

/** One of the model names. */
export type ModelName = keyof typeof models;
/** The model names, for flag validation. */
export const modelNames = Object.keys(models) as ModelName[];

/** Initialiser names, for flag validation. */
export type InitName = keyof typeof initializers;
/** The initialiser names. */
export const initNames = Object.keys(initializers) as InitName[];
