/**
 * Size caps for reading array files (.npy, .npz, IDX), re-exported from ./caps.ts (browser-safe),
 * and reading a whole file within a cap.
 */
import { readFileSync, statSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { getOrThrow } from '../decode.ts';
import type { ReadLimits } from './caps.ts';

export * from './caps.ts';

/**
 * Reads a whole file, refusing one larger than `cap` before reading it (the size named in the
 * error is the file's own). Errors start with the path; `option` names the cap to raise.
 */
export const readFileCappedE = (path: string, cap: number, option: keyof ReadLimits): E.Either<Error, Uint8Array> => {
  const cannot = (e: unknown): Error => new Error(`${path}: cannot read: ${(e as Error).message}`);
  return pipe(
    E.tryCatch(() => statSync(path).size, cannot),
    E.filterOrElse((size) => size <= cap, (size) => new Error(`${path}: the file is ${size} bytes, over the cap of ${cap} bytes (raise it with the ${option} option)`)),
    E.flatMap(() => E.tryCatch((): Uint8Array => readFileSync(path), cannot)),
  );
};

/** `readFileCappedE`, throwing. */
export const readFileCapped = (path: string, cap: number, option: keyof ReadLimits): Uint8Array =>
  getOrThrow(readFileCappedE(path, cap, option));
