/**
 * The strict zip reader of ./zip-bytes.ts with Node's zlib for inflation and CRC-32 (native,
 * and the error messages Node users see). Browsers use ./zip-bytes.ts directly.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { getOrThrow } from '../decode.ts';
import type { Limits } from './caps.ts';
import { overDeclared, readZipBytesE, type Inflater, type ZipMember } from './zip-bytes.ts';

/** One member of an archive (re-exported from ./zip-bytes.ts). */
export type { ZipMember } from './zip-bytes.ts';

/** Inflates raw deflate data; Left why, as soon as it passes `size` bytes or the data is damaged. */
const inflateBounded = (data: Uint8Array, size: number): E.Either<string, Uint8Array> =>
  // maxOutputLength must be ≥ 1; a longer result is caught by the caller's length check.
  E.tryCatch(() => inflateRawSync(data, { maxOutputLength: Math.max(1, size) }), (e) => {
    const err = e as NodeJS.ErrnoException;
    return err.code === 'ERR_BUFFER_TOO_LARGE' ? overDeclared(size) : `deflate data is damaged: ${err.message}`;
  });

/** Node's zlib as the zip reader's inflater. */
export const nodeInflater: Inflater = { inflateRaw: inflateBounded, crc32: (data) => crc32(data) };

/**
 * The members of a zip archive, in central-directory order, or Left the first refusal.
 * `name` (the file) starts every error; structural errors read
 * "<name>: not a valid <label> archive: …", member errors "<name>: <member>: …".
 * Only once every declaration is within the caps is any member's data touched.
 */
export const readZipE = (bytes: Uint8Array, name: string, limits: Limits, label = 'zip'): E.Either<Error, readonly ZipMember[]> =>
  readZipBytesE(bytes, name, limits, label, nodeInflater);

/** `readZipE`, throwing. */
export const readZip = (bytes: Uint8Array, name: string, limits: Limits, label = 'zip'): readonly ZipMember[] =>
  getOrThrow(readZipE(bytes, name, limits, label));
