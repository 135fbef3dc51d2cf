/**
 * `sequential` composes layers into one layer (as stax's serial): init threads keys and shapes
 * and names the layer whose input shape does not fit; forward threads keys, state and caches.
 * Where a child offers a fusion with the next one (Layer.fuseNext, e.g. conv2d → max pool), forward
 * and backward run the fused layer in their place: the same function, parameters and keys.
 * A child's error in forward or backward is rethrown as a LayerError naming the child (its key in params).
 */
import { foldIn, split } from '../random.ts';
import { showShape, type Shape, type Tensor } from '../tensor.ts';
import type { TreeRecord } from '../tree.ts';
import { describeRecord, inChild, LayerError } from './errors.ts';
import { describable } from './describe.ts';
import { EMPTY, type Layer } from './layer.ts';

/** A layer, or a layer with a chosen name (its key in the parameter tree). */
export type LayerEntry = Layer | readonly [string, Layer];

interface Child { readonly name: string; readonly layer: Layer }

/** Gives every child a unique name: explicit ones as given, others as base name + count (affine1, relu1, affine2). */
const nameChildren = (entries: readonly LayerEntry[]): readonly Child[] => {
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  return entries.map((e) => {
    const [name, layer] = Array.isArray(e) ? (e as readonly [string, Layer]) : (() => {
      const l = e as Layer;
      const c = (counts.get(l.name) ?? 0) + 1;
      counts.set(l.name, c);
      return [`${l.name}${c}`, l] as const;
    })();
    if (seen.has(name)) throw new Error(`sequential: two layers are named "${name}"`);
    seen.add(name);
    return { name, layer };
  });
};

const isEmpty = (r: TreeRecord): boolean => Object.keys(r).length === 0;

const isRecord = (x: unknown): x is TreeRecord => typeof x === 'object' && x !== null;

/** Per child: the fused layer that runs it together with the next child, if any. */
const fusionsOf = (children: readonly Child[]): readonly (Layer | undefined)[] => {
  const fused: (Layer | undefined)[] = children.map(() => undefined);
  for (let i = 0; i + 1 < children.length; i++) {
    const f = children[i].layer.fuseNext?.(children[i + 1].layer);
    if (f !== undefined) { fused[i] = f; i++; }
  }
  return fused;
};

const makeSequential = (...entries: readonly LayerEntry[]): Layer<TreeRecord, readonly unknown[]> => {
  const children = nameChildren(entries);
  const fused = fusionsOf(children);
  /** True for a child that runs inside the fused layer of the one before it. */
  const absorbed = (i: number): boolean => i > 0 && fused[i - 1] !== undefined;
  return {
    name: 'sequential',
    init: (key, inputShape) => {
      const keys = split(key, children.length);
      const params: Record<string, TreeRecord> = {};
      const state: Record<string, TreeRecord> = {};
      let shape: Shape = inputShape;
      children.forEach(({ name, layer }, i) => {
        let r;
        try {
          r = layer.init(keys[i], shape);
        } catch (err) {
          throw new Error(`sequential: layer ${i + 1} "${name}" cannot take input shape ${showShape(shape)}: ${(err as Error).message}`);
        }
        if (absorbed(i) && !(isEmpty(r.params) && isEmpty(r.state))) {
          throw new Error(`sequential: layer ${i + 1} "${name}" was fused into the layer before it but has parameters or state`);
        }
        if (!isEmpty(r.params)) params[name] = r.params;
        if (!isEmpty(r.state)) state[name] = r.state;
        shape = r.outputShape;
      });
      return { params, state, outputShape: shape };
    },
    forward: (params, x, ctx) => {
      if (!isRecord(params)) {
        throw new LayerError('forward', [], `sequential: params must be the record init returned, got ${describeRecord(params)}`);
      }
      const caches: unknown[] = [];
      const state: Record<string, TreeRecord> = {};
      let y: Tensor = x;
      children.forEach(({ name, layer }, i) => {
        if (absorbed(i)) { caches.push(undefined); return; }
        const childState = (ctx.state[name] as TreeRecord | undefined) ?? EMPTY;
        let r;
        try {
          r = (fused[i] ?? layer).forward((params[name] as TreeRecord | undefined) ?? EMPTY, y, {
            mode: ctx.mode, key: foldIn(ctx.key, i), state: childState, inputGrad: i === 0 ? ctx.inputGrad : true,
          });
        } catch (err) {
          throw inChild('forward', name, err);
        }
        caches.push(r.cache);
        if (!isEmpty(r.state)) state[name] = r.state;
        y = r.y;
      });
      return { y, cache: caches, state };
    },
    backward: (params, cache, dy) => {
      if (!Array.isArray(cache) || cache.length !== children.length) {
        const got = Array.isArray(cache) ? `an array of ${cache.length}` : String(cache);
        throw new LayerError('backward', [], `sequential: the cache is ${got}, not the array of ${children.length} its forward `
          + 'returned (backward cannot run before forward; pass it the cache forward gave)');
      }
      if (!isRecord(params)) {
        throw new LayerError('backward', [], `sequential: params must be the record init returned, got ${describeRecord(params)}`);
      }
      const grads: Record<string, TreeRecord> = {};
      let d = dy;
      for (let i = children.length - 1; i >= 0; i--) {
        if (absorbed(i)) continue;
        const { name, layer } = children[i];
        let r;
        try {
          r = (fused[i] ?? layer).backward((params[name] as TreeRecord | undefined) ?? EMPTY, cache[i], d);
        } catch (err) {
          throw inChild('backward', name, err);
        }
        if (!isEmpty(r.grads)) grads[name] = r.grads;
        d = r.dx;
      }
      return { dx: d, grads };
    },
  };
};

/** Composes layers left to right into one layer. */
export const sequential = describable('sequential', makeSequential);
