/** Multi-layer perceptrons of the book (ch. 5–6): affine → activation, repeated, then an affine output. */
import { he, type Initializer } from '../layers/init.ts';
import { affine } from '../layers/affine.ts';
import { reluLayer, sigmoidLayer } from '../layers/activations.ts';
import type { Layer } from '../layers/layer.ts';
import { sequential, type LayerEntry } from '../layers/sequential.ts';

/** Options of `mlp`. */
export interface MlpOptions {
  /** Sizes of the hidden layers, e.g. [50] for the book's TwoLayerNet. */
  readonly hidden: readonly number[];
  /** Output classes (default 10). */
  readonly classes?: number;
  /** Weight initialiser (default He). */
  readonly init?: Initializer;
  /** Hidden activation (default ReLU). */
  readonly activation?: 'relu' | 'sigmoid';
  /** Extra layers after each hidden affine, before the activation (e.g. batch norm). */
  readonly afterAffine?: () => readonly Layer[];
  /** Extra layers after each hidden activation (e.g. dropout). */
  readonly afterActivation?: () => readonly Layer[];
}

/** An MLP producing logits; pair it with softmaxCrossEntropy. */
export const mlp = (options: MlpOptions): Layer => {
  const init = options.init ?? he();
  const act = options.activation === 'sigmoid' ? sigmoidLayer : reluLayer;
  const layers: LayerEntry[] = options.hidden.flatMap((units) => [
    affine(units, { init }),
    ...(options.afterAffine?.() ?? []),
    act(),
    ...(options.afterActivation?.() ?? []),
  ]);
  layers.push(affine(options.classes ?? 10, { init }));
  return sequential(...layers);
};
