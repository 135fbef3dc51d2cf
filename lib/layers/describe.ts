/**
 * Layers that describe themselves, so that a saved model holds its architecture and reloads
 * without the code that built it: each library constructor records its name and arguments
 * (layers among them as their own descriptions), and `layerFromSpec` calls it again.
 */
import type { TreeRecord } from '../tree.ts';
import type { Layer } from './layer.ts';

/** A JSON value, as stored in a saved model. */
export type SpecValue = null | boolean | number | string | readonly SpecValue[] | { readonly [k: string]: SpecValue };

/** How to build a layer again: a registered constructor's name and its arguments. */
export type LayerSpec = {
  readonly kind: string;
  readonly args: readonly SpecValue[];
};

/** A layer given as an argument, stored as its own spec. */
interface LayerArg { readonly layer: LayerSpec }

// made on demand: a network with a custom layer inside still builds; only saving it is refused
const specs = new WeakMap<object, () => LayerSpec>();
const builders = new Map<string, (...args: never[]) => Layer>();

const isLayer = (v: unknown): v is Layer =>
  typeof v === 'object' && v !== null && 'init' in v && 'forward' in v && 'backward' in v && 'name' in v;

// Functions (initialisers) only matter before training: a saved model's weights replace them.
const toSpec = (v: unknown, where: string): SpecValue | undefined => {
  if (v === undefined || typeof v === 'function') return undefined;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${where}: ${v} cannot be saved`);
    return v;
  }
  if (isLayer(v)) {
    const spec = specs.get(v);
    if (spec === undefined) throw new Error(`${where}: the layer "${v.name}" was not made by a library constructor, so it cannot be saved`);
    return { layer: spec() };
  }
  if (Array.isArray(v)) return v.map((x, i) => toSpec(x, `${where}[${i}]`) ?? null);
  if (typeof v === 'object') {
    const out: Record<string, SpecValue> = {};
    for (const [k, x] of Object.entries(v)) {
      const s = toSpec(x, `${where}.${k}`);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  throw new Error(`${where}: a ${typeof v} cannot be saved`);
};

const isLayerArg = (v: SpecValue): v is SpecValue & LayerArg =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'layer' in v && Object.keys(v).length === 1;

const fromSpecValue = (v: SpecValue): unknown => {
  if (Array.isArray(v)) return v.map(fromSpecValue);
  if (typeof v === 'object' && v !== null) {
    if (isLayerArg(v)) return layerFromSpec(v.layer);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromSpecValue(x)]));
  }
  return v;
};

/**
 * Registers a layer constructor under `kind` and returns it wrapped: every layer it makes records
 * its arguments, so `specOf` can describe it and `layerFromSpec` rebuild it.
 */
export const describable = <A extends readonly unknown[], P extends TreeRecord, C>(
  kind: string, make: (...args: A) => Layer<P, C>,
): ((...args: A) => Layer<P, C>) => {
  if (builders.has(kind)) throw new Error(`describable: a layer kind "${kind}" is already registered`);
  // the table holds constructors of every signature; layerFromSpec passes each its own recorded arguments
  builders.set(kind, make as unknown as (...args: never[]) => Layer);
  return (...args: A): Layer<P, C> => {
    const layer = make(...args);
    specs.set(layer, () => ({ kind, args: args.map((a, i) => toSpec(a, `${kind} argument ${i + 1}`) ?? null) }));
    return layer;
  };
};

/**
 * How to build this layer again, or undefined for a layer not made by a registered constructor.
 * Throws, naming it, when a layer inside was not made by one.
 */
export const specOf = (layer: Layer): LayerSpec | undefined => specs.get(layer)?.();

/** The layer a spec describes, built by its registered constructor. */
export const layerFromSpec = (spec: LayerSpec): Layer => {
  const make = builders.get(spec.kind);
  if (make === undefined) throw new Error(`layerFromSpec: no layer kind "${spec.kind}" (known: ${[...builders.keys()].sort().join(', ')})`);
  const args = spec.args.map(fromSpecValue) as never[];
  const layer = make(...args);
  specs.set(layer, () => spec);
  return layer;
};

/** The registered layer kinds. */
export const layerKinds = (): readonly string[] => [...builders.keys()].sort();
