/**
 * Gradient transformations as in optax: an init/update pair that turns gradients into
 * updates, carrying explicit state. Optimizers are chains of them; training folds over batches.
 */
import { add } from '../ops/elementwise.ts';
import { fromArray, type Tensor } from '../tensor.ts';
import { mapTree, type TreeRecord } from '../tree.ts';

/** Optimizer state: a tree of tensors, so it checkpoints like parameters. */
export type OptState = TreeRecord;

/** Turns gradients into updates. */
export interface GradientTransformation {
  init(params: TreeRecord): OptState;
  update(updates: TreeRecord, state: OptState, params: TreeRecord): { readonly updates: TreeRecord; readonly state: OptState };
}

/** An optimizer: a fold step from (grads, state, params) to new params and state. */
export interface Optimizer {
  init(params: TreeRecord): OptState;
  update(grads: TreeRecord, state: OptState, params: TreeRecord): { readonly params: TreeRecord; readonly state: OptState };
}

/** Runs transformations one after another; state is a record of their states by position. */
export const chain = (...transforms: readonly GradientTransformation[]): GradientTransformation => ({
  init: (params) => Object.fromEntries(transforms.map((t, i) => [String(i), t.init(params)])),
  update: (updates, state, params) => {
    const next: Record<string, TreeRecord> = {};
    let u = updates;
    transforms.forEach((t, i) => {
      const r = t.update(u, state[String(i)] as TreeRecord, params);
      u = r.updates;
      next[String(i)] = r.state;
    });
    return { updates: u, state: next };
  },
});

/** params + updates, leaf by leaf. */
export const applyUpdates = (params: TreeRecord, updates: TreeRecord): TreeRecord =>
  mapTree(params, (p, u) => add(p, u), updates);

/** An optimizer from a transformation whose updates are added to the parameters. */
export const fromTransform = (t: GradientTransformation): Optimizer => ({
  init: t.init,
  update: (grads, state, params) => {
    const r = t.update(grads, state, params);
    return { params: applyUpdates(params, r.updates), state: r.state };
  },
});

/** A step counter kept in state as a float64 scalar tensor. */
export const counter = (n: number): Tensor => fromArray([n], [], 'float64');

/** The value of a step counter. */
export const countOf = (state: OptState, name = 'count'): number => (state[name] as Tensor).data[0];
