/**
 * A layer is a value with three pure functions and no state of its own:
 * init(key, inputShape) → { params, state, outputShape }
 * forward(params, x, ctx) → { y, cache, state }
 * backward(params, cache, dy) → { dx, grads }
 * Shapes given to and returned by init leave out the batch axis.
 */
import type { Key } from '../random.ts';
import type { Shape, Tensor } from '../tensor.ts';
import type { TreeRecord } from '../tree.ts';

/**
 * Training applies dropout and updates batch statistics; inference does neither, and max pooling
 * keeps no positions of the maxima then (a backward call after it finds them again).
 */
export type Mode = 'train' | 'inference';

/** What a forward pass needs besides parameters and input. */
export interface Ctx {
  readonly mode: Mode;
  /** Randomness for this call (dropout masks); layers split it, never reuse it. */
  readonly key: Key;
  /** This layer's non-trained state (batch-norm running statistics); {} for most layers. */
  readonly state: TreeRecord;
  /**
   * false when nobody will use backward's dx (the network's first layer in training), so a layer
   * may skip computing it and return zeros. Default true.
   */
  readonly inputGrad?: boolean;
}

/** What init gives. */
export interface Init<P extends TreeRecord = TreeRecord> {
  readonly params: P;
  readonly state: TreeRecord;
  readonly outputShape: Shape;
}

/** What forward gives: the output, what backward needs, and the layer's new state. */
export interface Forward<C> {
  readonly y: Tensor;
  readonly cache: C;
  readonly state: TreeRecord;
}

/** What backward gives: the input gradient and parameter gradients shaped like params. */
export interface Backward<P extends TreeRecord = TreeRecord> {
  readonly dx: Tensor;
  readonly grads: P;
}

/** A layer: a pair of pure forward/backward functions and an initialiser. */
export interface Layer<P extends TreeRecord = TreeRecord, C = unknown> {
  /** Base name, used by combinators to name children (affine → affine1, affine2, …). */
  readonly name: string;
  init(key: Key, inputShape: Shape): Init<P>;
  forward(params: P, x: Tensor, ctx: Ctx): Forward<C>;
  backward(params: P, cache: C, dy: Tensor): Backward<P>;
  /**
   * The same function as this layer followed by `next` (a layer without params or state), computed
   * in one go with this layer's params, or undefined when there is no such fusion. `sequential`
   * uses it: conv2d followed by such a max pool runs as one kernel pair, batch norm followed by a
   * ReLU as one pass forward.
   */
  readonly fuseNext?: (next: Layer) => Layer<P> | undefined;
}

/** Trained values of a network: parameters and layer state (batch-norm statistics). */
export interface Variables {
  readonly params: TreeRecord;
  readonly state: TreeRecord;
}

/** A context for inference (no randomness used). */
export const inferenceCtx = (key: Key, state: TreeRecord = {}): Ctx => ({ mode: 'inference', key, state });

/** A context for training. */
export const trainCtx = (key: Key, state: TreeRecord = {}): Ctx => ({ mode: 'train', key, state });

/** An empty parameter/state record. */
export const EMPTY: TreeRecord = Object.freeze({});
