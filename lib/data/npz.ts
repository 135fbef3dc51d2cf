/**
 * NumPy `.npz` archives: the byte-level reader and writer of ./npz-bytes.ts (re-exported), plus
 * reading from a path and writing files, with Node's zlib inflating. Nothing depends on the
 * file's extension.
 */
import { writeFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { getOrThrow } from '../decode.ts';
import { readFileCappedE, resolveLimitsE, type ReadLimits } from './limits.ts';
import type { NpyArray } from './npy.ts';
import { encodeNpz, parseNpzE, type NpzEntries } from './npz-bytes.ts';
import { nodeInflater } from './zip.ts';

export * from './npz-bytes.ts';

/**
 * Read an `.npz` archive from a path or from bytes. Keys are member names
 * without their `.npy` suffix, e.g. `W1`, in archive order; Left the first refusal.
 *
 * Refused, with an error starting with `name`: a file over `limits.maxTotalBytes`, a member
 * declaring more than `limits.maxArrayBytes` uncompressed (before inflating it) or members
 * totalling more than `limits.maxTotalBytes`, a member that inflates past its declared size,
 * a CRC-32 mismatch, a truncated archive, two members for one array, and any `.npy` error of `parseNpyE`.
 */
export const readNpzE = (
  source: string | Uint8Array,
  name = typeof source === 'string' ? source : '<bytes>',
  limits: ReadLimits = {},
): E.Either<Error, ReadonlyMap<string, NpyArray>> => pipe(
  resolveLimitsE(limits),
  E.flatMap((caps) => (typeof source === 'string' ? readFileCappedE(source, caps.maxTotalBytes, 'maxTotalBytes') : E.right(source))),
  E.flatMap((bytes) => parseNpzE(bytes, name, limits, nodeInflater)),
);

/** `readNpzE`, throwing. */
export const readNpz = (
  source: string | Uint8Array,
  name = typeof source === 'string' ? source : '<bytes>',
  limits: ReadLimits = {},
): ReadonlyMap<string, NpyArray> => getOrThrow(readNpzE(source, name, limits));

/** Write arrays to an `.npz` file. */
export function writeNpz(path: string, arrays: NpzEntries): void {
  writeFileSync(path, encodeNpz(arrays, path));
}
