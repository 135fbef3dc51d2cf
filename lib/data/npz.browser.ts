/**
 * npz.ts for browsers (package.json's "browser" map swaps it in): the same exports, reading
 * from bytes only — a page has no file paths, so a path is refused with a message saying so.
 */
import * as E from 'fp-ts/lib/Either.js';
import { getOrThrow } from '../decode.ts';
import type { ReadLimits } from './caps.ts';
import type { NpyArray } from './npy-bytes.ts';
import { parseNpzE, type NpzEntries } from './npz-bytes.ts';

export * from './npz-bytes.ts';

const noFiles = (what: string, path: string): Error =>
  new Error(`${path}: ${what} reads files, which a browser has not: fetch the bytes and pass them instead`);

/** `.npz` arrays from bytes (a path is refused: no files in a browser). */
export const readNpzE = (
  source: string | Uint8Array,
  name = typeof source === 'string' ? source : '<bytes>',
  limits: ReadLimits = {},
): E.Either<Error, ReadonlyMap<string, NpyArray>> =>
  (typeof source === 'string' ? E.left(noFiles('readNpz', source)) : parseNpzE(source, name, limits));

/** `readNpzE`, throwing. */
export const readNpz = (
  source: string | Uint8Array,
  name = typeof source === 'string' ? source : '<bytes>',
  limits: ReadLimits = {},
): ReadonlyMap<string, NpyArray> => getOrThrow(readNpzE(source, name, limits));

/** Refused in a browser (no files): use encodeNpz and offer the bytes as a download. */
export function writeNpz(path: string, _arrays: NpzEntries): void {
  throw noFiles('writeNpz', path);
}
