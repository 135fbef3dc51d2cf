/**
 * Errors of layer calls that say which layer failed and what it lacked. Combinators (sequential,
 * residual) add their child's name to the path, so a slip deep in a network reads
 * `forward of "block1.f.affine2": params.block1.f.affine2.W is missing (…)` instead of a bare TypeError.
 * The checks run once per layer call, never per element.
 */
import { showShape, type Shape } from '../tensor.ts';
import { isTensor } from '../tree.ts';

/** The layer call that failed. */
export type Phase = 'init' | 'forward' | 'backward';

const render = (phase: Phase, path: readonly string[], detail: string, missing: string | undefined): string => {
  const what = missing === undefined ? detail : `params.${[...path, missing].join('.')} is missing (${detail})`;
  return path.length === 0 ? what : `${phase} of "${path.join('.')}": ${what}`;
};

/** A failed layer call, with where the layer sits in the network. */
export class LayerError extends Error {
  override readonly name = 'LayerError';

  constructor(
    readonly phase: Phase,
    /** The layer's key path in the params tree, outermost first (["block1", "f", "affine2"]); [] for a layer called bare. */
    readonly path: readonly string[],
    /** What is wrong, e.g. "affine: expects input of rank ≥ 2 ([N, …features]), got shape []". */
    readonly detail: string,
    /** A missing parameter's key within the layer's params ("W"): the message spells out its full path. */
    readonly missing?: string,
    options?: ErrorOptions,
  ) {
    super(render(phase, path, detail, missing), options);
  }
}

/** `err`, thrown by the child `name` of a combinator, as a LayerError whose path starts at that child. */
export const inChild = (phase: Phase, name: string, err: unknown): LayerError =>
  err instanceof LayerError
    ? new LayerError(err.phase, [name, ...err.path], err.detail, err.missing, { cause: err.cause ?? err })
    : new LayerError(phase, [name], err instanceof Error ? err.message : String(err), undefined, { cause: err });

/** "{ W, b }", "{}" or "undefined": the keys of what a caller passed, for messages. */
export const describeRecord = (x: unknown): string => {
  if (typeof x !== 'object' || x === null) return String(x);
  const keys = Object.keys(x);
  return keys.length === 0 ? '{}' : `{ ${keys.join(', ')} }`;
};

/** Throws unless `params` holds a tensor under every key (a layer's first line in forward and backward). */
export const requireParams = (layer: string, phase: Phase, params: unknown, keys: readonly string[]): void => {
  const record = typeof params === 'object' && params !== null ? params as Readonly<Record<string, unknown>> : undefined;
  for (const k of keys) {
    if (record === undefined || !isTensor(record[k])) {
      throw new LayerError(phase, [], `${layer} needs params { ${keys.join(', ')} } and was given ${describeRecord(params)}`, k);
    }
  }
};

/** Throws unless backward got a cache: none means forward did not run, or its cache was not passed on. */
export const requireCache = (layer: string, cache: unknown): void => {
  if (cache === undefined) {
    throw new LayerError('backward', [], `${layer}: no cache; pass backward the cache its forward returned (backward cannot run before forward)`);
  }
};

/** Throws unless `shape` has a rank in [min, max], naming the layer, the expected rank and the shape given. */
export const requireRank = (layer: string, phase: Phase, shape: Shape, min: number, max: number, expected: string): void => {
  if (shape.length < min || shape.length > max) {
    const rank = min === max ? `${min}` : max === Infinity ? `≥ ${min}` : `${min} to ${max}`;
    const input = phase === 'init' ? 'a per-example input' : 'input';
    throw new LayerError(phase, [], `${layer}: expects ${input} of rank ${rank} (${expected}), got shape ${showShape(shape)}`);
  }
};
