/**
 * Size caps for reading array files (.npy, .npz, IDX): the caps themselves and their defaults.
 * A file's header can declare any size; these caps are checked against declared sizes before
 * anything of that size is allocated or inflated, so a hostile or damaged file is refused instead
 * of exhausting memory. Browser-safe (no node: imports); data/limits.ts adds reading files.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { getOrThrow } from '../decode.ts';

/** Default cap on one array: a `.npy` payload, a zip member's uncompressed size, a (decompressed) IDX file. 1 GiB. */
export const MAX_ARRAY_BYTES = 2 ** 30;

/** Default cap on one file read from disk and on the sum of an archive's uncompressed members. 2 GiB. */
export const MAX_TOTAL_BYTES = 2 ** 31;

/**
 * Longest `.npy` header dict accepted, in bytes (1 MiB). NumPy writes a few hundred bytes;
 * the bound keeps a hostile header from costing more than a millisecond to parse.
 */
export const MAX_NPY_HEADER_BYTES = 2 ** 20;

/** Most dimensions an `.npy` array may have (NumPy 2's own limit, NPY_MAXDIMS). */
export const MAX_NPY_DIMS = 64;

/** Caps for the readers; raise them to read larger files on purpose. */
export interface ReadLimits {
  /** Largest single array in bytes (default {@link MAX_ARRAY_BYTES}). */
  readonly maxArrayBytes?: number;
  /** Largest file read, and largest total of an archive's members, in bytes (default {@link MAX_TOTAL_BYTES}). */
  readonly maxTotalBytes?: number;
}

/** ReadLimits with every cap present. */
export type Limits = Required<ReadLimits>;

/** The caps to use: defaults filled in, each checked to be a non-negative safe integer. */
export const resolveLimitsE = (limits: ReadLimits = {}): E.Either<Error, Limits> => {
  const pick = (key: keyof ReadLimits, dflt: number): E.Either<Error, number> => pipe(
    E.right(limits[key] ?? dflt),
    E.filterOrElse((v) => Number.isSafeInteger(v) && v >= 0, (v) => new Error(`read limits: ${key} must be a non-negative integer, got ${v}`)),
  );
  return pipe(
    E.Do,
    E.bind('maxArrayBytes', () => pick('maxArrayBytes', MAX_ARRAY_BYTES)),
    E.bind('maxTotalBytes', () => pick('maxTotalBytes', MAX_TOTAL_BYTES)),
  );
};

/** `resolveLimitsE`, throwing. */
export const resolveLimits = (limits: ReadLimits = {}): Limits => getOrThrow(resolveLimitsE(limits));

/** Number of elements of a shape, exact even when it exceeds 2^53 (so a hostile shape cannot overflow). */
export const exactSize = (shape: readonly number[]): bigint => shape.reduce((a, d) => a * BigInt(d), 1n);
