/** Trees of named tensors (parameters, gradients, optimizer state) and functions over them. */
import { type Tensor } from './tensor.ts';

/** A tensor, or a record of named subtrees. */
export type Tree = Tensor | TreeRecord;
/** A record of named subtrees: the shape of every parameter set. */
export type TreeRecord = { readonly [name: string]: Tree };

/** Whether a tree node is a tensor leaf. */
export const isTensor = (x: unknown): x is Tensor =>
  typeof x === 'object' && x !== null && 'shape' in x && 'data' in x && 'dtype' in x;

/** Leaves with their paths ("affine1/W"), in sorted path order so the order never depends on insertion. */
export const leaves = (tree: Tree, prefix = ''): readonly (readonly [string, Tensor])[] => {
  if (isTensor(tree)) return [[prefix, tree]];
  return Object.keys(tree).sort().flatMap((k) => leaves(tree[k], prefix === '' ? k : `${prefix}/${k}`));
};

/** Maps a function over the leaves of one or more trees of the same structure. */
export const mapTree = <T extends Tree>(tree: T, f: (leaf: Tensor, ...others: Tensor[]) => Tensor, ...others: readonly Tree[]): T => {
  const go = (node: Tree, rest: readonly Tree[], path: string): Tree => {
    if (isTensor(node)) {
      const restLeaves = rest.map((r) => {
        if (!isTensor(r)) throw new Error(`tree: "${path}" is a tensor in one tree but not in another`);
        return r;
      });
      return f(node, ...restLeaves);
    }
    const out: Record<string, Tree> = {};
    for (const k of Object.keys(node)) {
      const sub = rest.map((r) => {
        const v = isTensor(r) ? undefined : r[k];
        if (v === undefined) throw new Error(`tree: "${path === '' ? k : `${path}/${k}`}" is missing in one of the trees`);
        return v;
      });
      out[k] = go(node[k], sub, path === '' ? k : `${path}/${k}`);
    }
    return out;
  };
  return go(tree, others, '') as T;
};

/**
 * Maps f over the leaves of several trees of one structure, where f returns `count` tensors: the
 * result is `count` trees in the first tree's structure and key order (the i-th of f's results
 * at each leaf goes to the i-th tree). `count` is explicit because a tree without leaves never calls f.
 */
export const mapTrees = <T extends Tree, const R extends readonly Tensor[]>(
  trees: readonly [T, ...(readonly Tree[])], count: R['length'], f: (...leaves: readonly Tensor[]) => R,
): { readonly [K in keyof R]: T } => {
  const go = (nodes: readonly Tree[], path: string): readonly Tree[] => {
    const [node, ...rest] = nodes;
    if (isTensor(node)) {
      const restLeaves = rest.map((r) => {
        if (!isTensor(r)) throw new Error(`tree: "${path}" is a tensor in one tree but not in another`);
        return r;
      });
      const out = f(node, ...restLeaves);
      if (out.length !== count) throw new Error(`mapTrees: f returned ${out.length} tensors at "${path}", not ${count}`);
      return out;
    }
    const outs: Record<string, Tree>[] = Array.from({ length: count }, () => ({}));
    for (const k of Object.keys(node)) {
      const sub = path === '' ? k : `${path}/${k}`;
      const children = rest.map((r) => {
        const v = isTensor(r) ? undefined : r[k];
        if (v === undefined) throw new Error(`tree: "${sub}" is missing in one of the trees`);
        return v;
      });
      go([node[k], ...children], sub).forEach((t, i) => { outs[i][k] = t; });
    }
    return outs;
  };
  // each output has T's structure, leaf for leaf, as mapTree's result does
  return go(trees, '') as { readonly [K in keyof R]: T };
};

/** Total number of scalars in a tree. */
export const countParams = (tree: Tree): number => leaves(tree).reduce((s, [, t]) => s + t.size, 0);
