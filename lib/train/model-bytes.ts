/**
 * Saved models as bytes, with nothing from Node (so pages load them too): the format that
 * saved-model.ts writes to and reads from files. An uncompressed zip (CRC-checked on reading),
 * `model.json` plus one `.npy` per tensor (`params/affine1/W.npy`, …), so NumPy reads the weights too.
 */
import { zipSync } from 'fflate';
import * as t from 'io-ts';
import { encodeNpy, parseNpy } from '../data/npy-bytes.ts';
import { resolveLimits, type ReadLimits } from '../data/caps.ts';
import { portableInflater, readZipBytesE, type Inflater } from '../data/zip-bytes.ts';
import { decodeOrThrow, getOrThrow } from '../decode.ts';
import { layerFromSpec, specOf, type LayerSpec, type SpecValue } from '../layers/describe.ts';
import type { Layer, Variables } from '../layers/layer.ts';
import { key } from '../random.ts';
import { fromArray, sameShape, showShape, type Tensor } from '../tensor.ts';
import { isTensor, leaves, type Tree, type TreeRecord } from '../tree.ts';

/** Bytes to network input: each byte b becomes b · scale + offset (MNIST's pixels: scale 1/255). */
export interface Preprocessing {
  readonly scale: number;
  readonly offset: number;
}

/** A trained model with everything needed to use it. */
export interface SavedModel {
  readonly net: Layer;
  readonly variables: Variables;
  /** Per-example input shape, e.g. [1, 28, 28] or [784]. */
  readonly inputShape: readonly number[];
  readonly classNames?: readonly string[];
  readonly preprocessing?: Preprocessing;
  /** Free JSON: how it was trained, accuracy, … */
  readonly metadata?: Readonly<Record<string, SpecValue>>;
}

/** The format's name, in model.json. */
export const MODEL_FORMAT = 'tenfold-model';
/** The format's version, in model.json. */
export const MODEL_VERSION = 1;

const SpecValueC: t.Type<SpecValue> = t.recursion('SpecValue', () =>
  t.union([t.null, t.boolean, t.number, t.string, t.readonlyArray(SpecValueC), t.record(t.string, SpecValueC)]));
const LayerSpecC: t.Type<LayerSpec> = t.recursion('LayerSpec', () => t.type({ kind: t.string, args: t.readonlyArray(SpecValueC) }));

const ModelJsonC = t.intersection([
  t.type({
    format: t.literal(MODEL_FORMAT),
    version: t.literal(MODEL_VERSION),
    architecture: LayerSpecC,
    inputShape: t.readonlyArray(t.number),
    tensors: t.readonlyArray(t.type({ tree: t.union([t.literal('params'), t.literal('state')]), path: t.string, file: t.string })),
  }),
  t.partial({
    classNames: t.readonlyArray(t.string),
    preprocessing: t.type({ scale: t.number, offset: t.number }),
    metadata: t.record(t.string, SpecValueC),
  }),
]);

const treeNames = ['params', 'state'] as const;

/** The bytes of a saved model file. Throws, naming the layer, if the network is not made of library layers. */
export const encodeModel = (m: SavedModel): Uint8Array => {
  const architecture = specOf(m.net);
  if (architecture === undefined) throw new Error(`saveModel: the network "${m.net.name}" was not built from the library's layers, so its architecture cannot be saved`);
  const files: Record<string, Uint8Array> = {};
  const tensors = treeNames.flatMap((tree) => leaves(m.variables[tree]).map(([path, x]) => {
    const file = `${tree}/${path}.npy`;
    const data = x.dtype === 'float64' ? Float64Array.from(x.data) : Float32Array.from(x.data);
    files[file] = encodeNpy(data instanceof Float64Array ? { dtype: 'float64', shape: x.shape, data } : { dtype: 'float32', shape: x.shape, data }, file);
    return { tree, path, file };
  }));
  const json = {
    format: MODEL_FORMAT, version: MODEL_VERSION, architecture, inputShape: [...m.inputShape], tensors,
    ...(m.classNames ? { classNames: [...m.classNames] } : {}),
    ...(m.preprocessing ? { preprocessing: m.preprocessing } : {}),
    ...(m.metadata ? { metadata: m.metadata } : {}),
  };
  // fixed dates: the same model gives the same bytes
  return zipSync({ 'model.json': new TextEncoder().encode(`${JSON.stringify(json, null, 1)}\n`), ...files }, { level: 0, mtime: new Date(1980, 0, 1) });
};

/** Puts loaded tensors into the tree a fresh init gives, checking that every path and shape fits. */
const fill = (fresh: TreeRecord, loaded: ReadonlyMap<string, Tensor>, tree: string, name: string): TreeRecord => {
  const used = new Set<string>();
  const go = (node: Tree, path: string): Tree => {
    if (isTensor(node)) {
      const x = loaded.get(path);
      if (x === undefined) throw new Error(`${name}: ${tree} "${path}" (shape ${showShape(node.shape)}) is in the architecture but not in the file`);
      if (!sameShape(x.shape, node.shape)) throw new Error(`${name}: ${tree} "${path}" has shape ${showShape(x.shape)} in the file but ${showShape(node.shape)} in the architecture`);
      used.add(path);
      return x;
    }
    return Object.fromEntries(Object.keys(node).map((k) => [k, go(node[k], path === '' ? k : `${path}/${k}`)]));
  };
  const out = go(fresh, '') as TreeRecord;
  const extra = [...loaded.keys()].filter((p) => !used.has(p));
  if (extra.length > 0) throw new Error(`${name}: ${tree} ${extra.map((p) => `"${p}"`).join(', ')} in the file fit no part of the architecture`);
  return out;
};

/** A saved model from its bytes; errors name the file (`name`) and what is wrong. `inflater`: see data/zip-bytes.ts. */
export const decodeModel = (bytes: Uint8Array, name = '<model>', limits: ReadLimits = {}, inflater: Inflater = portableInflater): SavedModel => {
  const members = new Map(getOrThrow(readZipBytesE(bytes, name, resolveLimits(limits), 'model', inflater)).map((m) => [m.name, m.data]));
  const jsonBytes = members.get('model.json');
  if (jsonBytes === undefined) throw new Error(`${name}: no model.json inside: not a tenfold saved model`);
  let raw: unknown;
  try { raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes)); } catch (err) {
    throw new Error(`${name}: model.json is not valid JSON (${(err as Error).message})`);
  }
  const json = decodeOrThrow(ModelJsonC, raw, `${name}: model.json`);
  const net = layerFromSpec(json.architecture);
  const fresh = net.init(key(0), json.inputShape);
  const loaded = { params: new Map<string, Tensor>(), state: new Map<string, Tensor>() };
  for (const e of json.tensors) {
    const data = members.get(e.file);
    if (data === undefined) throw new Error(`${name}: model.json names ${e.file}, which is not in the file`);
    const a = parseNpy(data, `${name}: ${e.file}`, limits);
    loaded[e.tree].set(e.path, fromArray(a.data, a.shape, a.dtype));
  }
  return {
    net,
    variables: { params: fill(fresh.params, loaded.params, 'params', name), state: fill(fresh.state, loaded.state, 'state', name) },
    inputShape: json.inputShape,
    ...(json.classNames ? { classNames: json.classNames } : {}),
    ...(json.preprocessing ? { preprocessing: json.preprocessing } : {}),
    ...(json.metadata ? { metadata: json.metadata } : {}),
  };
};

