/**
 * Loading trained parameters from NumPy `.npz` archives, such as the book's own trained networks
 * (ch. 7 SimpleConvNet, ch. 8 DeepConvNet): which array fills which parameter path, checked.
 */
import type { ReadLimits } from './limits.ts';
import { readNpz } from './npz.ts';
import type { NpyArray } from './npy.ts';
import type { Layer } from '../layers/layer.ts';
import { key } from '../random.ts';
import { fromArray, sameShape, showShape, type Tensor } from '../tensor.ts';
import { isTensor, leaves, type Tree, type TreeRecord } from '../tree.ts';
import type { Variables } from '../layers/layer.ts';
import { deepConvNet, simpleConvNet } from '../models/convnets.ts';

/** Which parameter path (e.g. "conv1/W") each array of an archive (e.g. "W1") fills. */
export type NpzMapping = Readonly<Record<string, string>>;

/** The book's SimpleConvNet arrays (ch. 7, params.pkl) → our parameter paths. */
export const simpleConvNetMapping: NpzMapping = {
  W1: 'conv1/W', b1: 'conv1/b', W2: 'affine1/W', b2: 'affine1/b', W3: 'affine2/W', b3: 'affine2/b',
};

/** The book's DeepConvNet arrays (ch. 8, deep_convnet_params.pkl) → our parameter paths. */
export const deepConvNetMapping: NpzMapping = {
  ...Object.fromEntries([1, 2, 3, 4, 5, 6].flatMap((i) => [[`W${i}`, `conv${i}/W`], [`b${i}`, `conv${i}/b`]])),
  W7: 'affine1/W', b7: 'affine1/b', W8: 'affine2/W', b8: 'affine2/b',
};

/** Rebuilds a tree with the same structure, each leaf replaced by f(path, leaf). */
const rebuild = (tree: Tree, f: (path: string, leaf: Tensor) => Tensor, prefix = ''): Tree => {
  if (isTensor(tree)) return f(prefix, tree);
  const out: Record<string, Tree> = {};
  for (const k of Object.keys(tree)) out[k] = rebuild(tree[k], f, prefix === '' ? k : `${prefix}/${k}`);
  return out;
};

/** The `.npy` dtypes weights may have: anything else (int64, uint8, …) is not a trained float weight. */
const FLOAT_DESCRS: ReadonlySet<string> = new Set(['<f4', '<f8']);

/** Row-major multi-index of flat index i in shape, for error messages. */
const unravel = (i: number, shape: readonly number[]): number[] => {
  const out: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    out.unshift(i % shape[k]);
    i = Math.floor(i / shape[k]);
  }
  return out;
};

/**
 * Why an array cannot be float32 weights, or undefined if it can: its first NaN or ±Infinity,
 * or a float64 value beyond float32's range (which the cast would turn into Infinity).
 */
const nonFinite = (a: NpyArray): string | undefined => {
  const d = a.data;
  for (let i = 0; i < d.length; i++) {
    if (Number.isFinite(Math.fround(d[i]))) continue;
    const where = `at index ${i} (element ${showShape(unravel(i, a.shape))} of shape ${showShape(a.shape)})`;
    return Number.isFinite(d[i]) ? `holds ${d[i]} ${where}, which overflows float32` : `holds ${d[i]} ${where}`;
  }
  return undefined;
};

/**
 * Parameters for a network from an `.npz` archive (a path, bytes, or already read arrays).
 * `expectedParams` (e.g. from `net.init`) gives the paths and shapes; every parameter must be
 * filled by exactly one array of the right shape, and every array must be used.
 * Only float32 (`<f4`) and float64 (`<f8`) arrays are accepted, and every value must be finite
 * in float32 (no NaN, no ±Infinity, no float64 beyond float32's range); parameters come out
 * float32. `limits` caps what reading the archive may allocate (see data/limits.ts).
 */
export const loadNpzParams = (
  file: string | Uint8Array | ReadonlyMap<string, NpyArray>,
  mapping: NpzMapping,
  expectedParams: TreeRecord,
  name = typeof file === 'string' ? file : '<npz>',
  limits: ReadLimits = {},
): TreeRecord => {
  const arrays = file instanceof Map ? file as ReadonlyMap<string, NpyArray> : readNpz(file as string | Uint8Array, name, limits);
  const expected = new Map(leaves(expectedParams));
  const byPath = new Map<string, string>();
  for (const [array, path] of Object.entries(mapping)) {
    const want = expected.get(path);
    if (want === undefined) throw new Error(`${name}: the mapping sends array '${array}' to "${path}", which the network has no parameter for (it has ${[...expected.keys()].join(', ')})`);
    if (byPath.has(path)) throw new Error(`${name}: arrays '${byPath.get(path)}' and '${array}' both map to "${path}"`);
    const a = arrays.get(array);
    if (a === undefined) throw new Error(`${name}: array '${array}' is missing (it should fill ${path}, shape ${showShape(want.shape)}); the archive has ${[...arrays.keys()].join(', ') || 'no arrays'}`);
    if (a.descr !== undefined && !FLOAT_DESCRS.has(a.descr)) {
      throw new Error(`${name}: array '${array}' has dtype '${a.descr}'; weights must be float32 ('<f4') or float64 ('<f8')`);
    }
    if (!sameShape(a.shape, want.shape)) {
      throw new Error(`${name}: array '${array}' has shape ${showShape(a.shape)} but ${path} needs ${showShape(want.shape)}`);
    }
    byPath.set(path, array);
  }
  for (const path of expected.keys()) {
    if (!byPath.has(path)) throw new Error(`${name}: no array is mapped to parameter "${path}"`);
  }
  for (const array of arrays.keys()) {
    if (!(array in mapping)) throw new Error(`${name}: array '${array}' is not used by the mapping (arrays used: ${Object.keys(mapping).join(', ')})`);
  }
  // Last, as it reads every value: a NaN weight would otherwise load and just predict badly.
  for (const array of byPath.values()) {
    const why = nonFinite(arrays.get(array) as NpyArray);
    if (why !== undefined) throw new Error(`${name}: array '${array}' ${why}; weights must be finite`);
  }
  return rebuild(expectedParams, (path) => {
    const a = arrays.get(byPath.get(path) as string) as NpyArray;
    return fromArray(a.data, a.shape, 'float32');
  }) as TreeRecord;
};

/** A network of the book that has trained weights, and how its archive maps onto it. */
export interface BookNetwork {
  readonly build: () => Layer;
  readonly mapping: NpzMapping;
  /** Per-example input shape. */
  readonly inputShape: readonly number[];
}

/** The book's networks with published weights, by our model names. */
export const bookNetworks: Readonly<Record<'simple-convnet' | 'deep-convnet', BookNetwork>> = {
  'simple-convnet': { build: () => simpleConvNet(), mapping: simpleConvNetMapping, inputShape: [1, 28, 28] },
  'deep-convnet': { build: () => deepConvNet(), mapping: deepConvNetMapping, inputShape: [1, 28, 28] },
};

/** One of the book's networks with its trained variables loaded from an `.npz` file (any extension). */
export const loadBookNetwork = (
  model: keyof typeof bookNetworks, file: string | Uint8Array, name?: string, limits: ReadLimits = {},
): { readonly net: Layer; readonly variables: Variables } => {
  const { build, mapping, inputShape } = bookNetworks[model];
  const net = build();
  const init = net.init(key(0), inputShape);
  return { net, variables: { params: loadNpzParams(file, mapping, init.params, name, limits), state: init.state } };
};
