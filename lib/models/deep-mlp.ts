/** The book's deeper MLPs of ch. 6: affine → [batch norm] → ReLU → [dropout], repeated, then affine. */
import type { Initializer } from '../layers/init.ts';
import { batchNorm } from '../layers/batchnorm.ts';
import { dropout } from '../layers/dropout.ts';
import type { Layer } from '../layers/layer.ts';
import { mlp } from './mlp.ts';

/** Options of `deepMlp`. */
export interface DeepMlpOptions {
  /** Sizes of the hidden layers (the book's ch. 6 nets use [100, 100, 100, 100, 100]). */
  readonly hidden: readonly number[];
  /** Output classes (default 10). */
  readonly classes?: number;
  /** Weight initialiser (default He). */
  readonly init?: Initializer;
  /** Batch norm after every hidden affine layer (default false). */
  readonly batchNorm?: boolean;
  /** Dropout rate after every hidden activation (default 0: none). */
  readonly dropout?: number;
}

/** An MLP with optional batch norm and dropout; children are named affine1, batchnorm1, relu1, dropout1, … */
export const deepMlp = (options: DeepMlpOptions): Layer => {
  const rate = options.dropout ?? 0;
  return mlp({
    hidden: options.hidden,
    classes: options.classes,
    init: options.init,
    afterAffine: options.batchNorm ? () => [batchNorm()] : undefined,
    afterActivation: rate > 0 ? () => [dropout(rate)] : undefined,
  });
};
