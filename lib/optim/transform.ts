/**
 * Gradient transformations as in optax: an init/update pair that turns gradients into
 * updates, carrying explicit state. Optimizers are chains of them; training folds over batches.
 */
import { add } from '../ops/elementwise.ts';
import { fromArray, type Tensor } from '../tensor.ts';
import { isTensor, mapTree, type TreeRecord } from '../tree.ts';

/** Optimizer state: a tree of tensors, so it checkpoints like parameters (and loads back as one). */
export type OptState = TreeRecord;

/** The state of a transformation that keeps none: an empty record. */
export type NoState = { readonly [name: string]: never };

// init/update are methods, not function-typed properties, on purpose: method parameters compare
// bivariantly, so a GradientTransformation<S> or Optimizer<S> is also one over plain OptState,
// which is what code that does not know S (fit, a loaded checkpoint) passes around.

/** Turns gradients into updates, carrying a state of type S. */
export interface GradientTransformation<S extends OptState = OptState> {
  init(params: TreeRecord): S;
  update(updates: TreeRecord, state: S, params: TreeRecord): { readonly updates: TreeRecord; readonly state: S };
}

/** An optimizer: a fold step from (grads, state, params) to new params and a state of type S. */
export interface Optimizer<S extends OptState = OptState> {
  init(params: TreeRecord): S;
  update(grads: TreeRecord, state: S, params: TreeRecord): { readonly params: TreeRecord; readonly state: S };
}

/** The state type of a transformation or optimizer. */
export type StateOf<T> = T extends { init(params: TreeRecord): infer S } ? S : never;

/** Transformations whose states are Ss, position by position. */
export type Transforms<Ss extends readonly OptState[]> = { readonly [K in keyof Ss]: GradientTransformation<Ss[K]> };

/**
 * The state of a chain of transformations with states Ss: the tuple Ss as a record of its
 * positions '0', '1', … (a tuple's `length` and methods left out). That is the record a
 * checkpoint stores and loads back, and `state[0]` reads it.
 */
export type ChainState<Ss extends readonly OptState[]> = { readonly [K in keyof Ss & `${number}`]: Ss[K] };

/** Runs transformations one after another; the state is theirs by position (a ChainState). */
export function chain<Ss extends readonly OptState[]>(...transforms: Transforms<Ss>): GradientTransformation<ChainState<Ss>>;
export function chain(...transforms: readonly GradientTransformation[]): GradientTransformation<Readonly<Record<string, OptState>>> {
  return {
    init: (params) => Object.fromEntries(transforms.map((t, i) => [String(i), t.init(params)])),
    update: (updates, state, params) => {
      const next: Record<string, OptState> = {};
      let u = updates;
      transforms.forEach((t, i) => {
        const r = t.update(u, state[i], params);
        u = r.updates;
        next[i] = r.state;
      });
      return { updates: u, state: next };
    },
  };
}

/** params + updates, leaf by leaf. */
export const applyUpdates = (params: TreeRecord, updates: TreeRecord): TreeRecord =>
  mapTree(params, (p, u) => add(p, u), updates);

/** An optimizer from a transformation whose updates are added to the parameters. */
export const fromTransform = <S extends OptState>(t: GradientTransformation<S>): Optimizer<S> => ({
  init: t.init,
  update: (grads, state, params) => {
    const r = t.update(grads, state, params);
    return { params: applyUpdates(params, r.updates), state: r.state };
  },
});

/** A step counter kept in state as a float64 scalar tensor. */
export const counter = (n: number): Tensor => fromArray([n], [], 'float64');

/** The value of a step counter (a loaded state is checked: it is any tree until then). */
export const countOf = (state: OptState, name = 'count'): number => {
  const c = state[name];
  if (!isTensor(c)) throw new Error(`optimizer state: "${name}" is ${c === undefined ? 'missing' : 'not a step counter'}`);
  return c.data[0];
};
