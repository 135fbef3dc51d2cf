/**
 * The on-disk shape of a checkpoint: io-ts codecs for its JSON manifest and `latest.json`
 * pointer. Their decode errors are worded by lib/decode.ts, naming the field.
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';

/** Manifest format name and the one version this code reads and writes. */
export const FORMAT = 'tenfold-checkpoint';
/** Current manifest version; bump it when the layout changes. */
export const VERSION = 1;
/** Pointer format name (`latest.json`). */
export const POINTER_FORMAT = 'tenfold-checkpoint-pointer';

const refine = <A>(base: t.Type<A>, name: string, ok: (a: A) => boolean): t.Type<A> =>
  new t.Type<A>(name, (u): u is A => base.is(u) && ok(u), (u, c) =>
    pipe(base.validate(u, c), E.flatMap((a) => (ok(a) ? t.success(a) : t.failure(u, c)))), base.encode);

/** A finite number (JSON cannot carry NaN or Infinity; they would come back as null). */
export const FiniteNumber = refine(t.number, 'a finite number', Number.isFinite);
/** A whole number ≥ 0. */
export const Count = refine(t.number, 'a whole number ≥ 0', (n) => Number.isSafeInteger(n) && n >= 0);
/** An unsigned 32-bit word (half of a random key). */
export const Word = refine(t.number, 'an unsigned 32-bit integer', (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff);
/** Lower-case hex SHA-256. */
export const Sha256 = refine(t.string, 'a hex SHA-256 (64 characters)', (s) => /^[0-9a-f]{64}$/.test(s));
/** A plain file name in the checkpoint directory (no separators, so a manifest cannot point outside it). */
export const FileName = refine(t.string, 'a plain file name', (s) => s.length > 0 && !/[/\\]/.test(s) && s !== '.' && s !== '..');

/** Any JSON value (free metadata). */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };
/** Codec of a JSON value whose numbers are finite. */
export const JsonC: t.Type<Json> = t.recursion('JSON', () =>
  t.union([t.null, t.boolean, FiniteNumber, t.string, t.readonlyArray(JsonC), t.record(t.string, JsonC)]));

/** Tree structure with leaves replaced by indices into the tensor table; empty records survive. */
export type Skeleton = number | { readonly [k: string]: Skeleton };
/** Codec of a tree skeleton. */
export const SkeletonC: t.Type<Skeleton> = t.recursion('tree', () => t.union([Count, t.record(t.string, SkeletonC)]));

/** One tensor's entry in the manifest: where its bytes are in the binary file. */
export const TensorEntryC = t.type({
  path: t.string,
  dtype: t.keyof({ float32: null, float64: null }),
  shape: t.readonlyArray(Count),
  offset: Count,
  length: Count,
});
/** A decoded tensor entry. */
export type TensorEntry = t.TypeOf<typeof TensorEntryC>;

/** fit's History, checked. */
export const HistoryC = t.type({
  loss: t.readonlyArray(FiniteNumber),
  epochs: t.readonlyArray(t.type({
    epoch: Count,
    meanLoss: FiniteNumber,
    trainAccuracy: FiniteNumber,
    testAccuracy: t.union([FiniteNumber, t.null]),
    seconds: FiniteNumber,
  })),
});

/** The JSON manifest next to each binary file. */
export const ManifestC = t.intersection([t.type({
  format: t.literal(FORMAT),
  version: t.literal(VERSION),
  byteOrder: t.literal('little'),
  binary: FileName,
  binaryBytes: Count,
  sha256: Sha256,
  tensors: t.readonlyArray(TensorEntryC),
  trees: t.type({ params: t.record(t.string, SkeletonC), state: t.record(t.string, SkeletonC), optState: t.record(t.string, SkeletonC) }),
  key: t.tuple([Word, Word]),
  step: Count,
  epoch: Count,
  history: HistoryC,
  metadata: t.record(t.string, JsonC),
}), t.partial({
  /** Steps taken in the unfinished epoch (a save between epochs, after a signal); absent: 0. */
  epochStep: Count,
})]);
/** A decoded manifest. */
export type Manifest = t.TypeOf<typeof ManifestC>;

/** `latest.json`: which manifest is current (the commit point of a save) and which came before. */
export const PointerC = t.type({
  format: t.literal(POINTER_FORMAT),
  version: t.literal(VERSION),
  manifest: FileName,
  manifestSha256: Sha256,
  /** Older manifests still on disk, newest first. */
  previous: t.readonlyArray(FileName),
});
/** A decoded pointer. */
export type Pointer = t.TypeOf<typeof PointerC>;

// The formatter moved to lib/decode.ts (one for every codec of lib/); re-exported for existing importers.
export { decodeOrThrow, describeErrors } from '../decode.ts';
