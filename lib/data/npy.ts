/**
 * NumPy `.npy` files: the byte-level reader and writer of ./npy-bytes.ts (re-exported), plus
 * reading and writing files. `readNpyE` returns an Either (Left: an Error whose message starts
 * with the name); `readNpy` throws that error.
 */
import { writeFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { getOrThrow } from '../decode.ts';
import { readFileCappedE, resolveLimitsE, type ReadLimits } from './limits.ts';
import { encodeNpy, parseNpyE, type NpyArray } from './npy-bytes.ts';

export * from './npy-bytes.ts';

/**
 * Read a `.npy` file (or parse bytes already in memory). A file larger than
 * `limits.maxTotalBytes` (default 2 GiB) is refused before it is read.
 */
export const readNpyE = (
  source: string | Uint8Array,
  name = typeof source === 'string' ? source : '<bytes>',
  limits: ReadLimits = {},
): E.Either<Error, NpyArray> => typeof source !== 'string' ? parseNpyE(source, name, limits) : pipe(
  resolveLimitsE(limits),
  E.flatMap(({ maxTotalBytes }) => readFileCappedE(source, maxTotalBytes, 'maxTotalBytes')),
  E.flatMap((bytes) => parseNpyE(bytes, name, limits)),
);

/** `readNpyE`, throwing. */
export const readNpy = (source: string | Uint8Array, name = typeof source === 'string' ? source : '<bytes>', limits: ReadLimits = {}): NpyArray =>
  getOrThrow(readNpyE(source, name, limits));

/** Write one array to a `.npy` file. */
export function writeNpy(path: string, arr: NpyArray): void {
  writeFileSync(path, encodeNpy(arr, path));
}
