/**
 * IDX file reader (the format of MNIST and Fashion-MNIST).
 *
 * Layout: a big-endian uint32 magic `0x0000TTNN` (TT = element type code,
 * NN = number of dimensions), NN big-endian uint32 sizes, then the elements
 * in row-major order. Only unsigned bytes (TT = 0x08) are supported: that is
 * all the MNIST family uses.
 *
 * A hostile header cannot make the reader allocate: the element count (exact, as a bigint)
 * must match the bytes present before anything is returned, and gzipped input is inflated
 * with a bound (the maxArrayBytes cap, 1 GiB by default).
 *
 * `parseIdxE`, `readIdxFileE` and `gunzipCappedE` return an Either (Left: an Error whose
 * message starts with the name or path); `parseIdx`, `readIdxFile` and `gunzipCapped` throw it.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { getOrThrow } from '../decode.ts';
import { exactSize, readFileCappedE, resolveLimitsE, type ReadLimits } from './limits.ts';

/** A parsed IDX file: its dimensions and its raw unsigned bytes (row-major). */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const UBYTE = 0x08;

// Names of the type codes the format defines, so a refusal can say what it saw.
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0x08: 'ubyte',
  0x09: 'sbyte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

const hex32 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

// MNIST's two kinds get their familiar names; anything else is described by rank.
const describe = (ndims: number): string =>
  ndims === 1 ? 'ubyte labels' : ndims === 3 ? 'ubyte images' : `ubyte ${ndims}-D`;

/**
 * Parse an IDX byte buffer. `name` (usually the file path) prefixes every error.
 * With `expectedDims`, the magic must be exactly `0x000008NN` for that rank.
 * The returned `data` is a view into `bytes` (no copy): treat it as read-only.
 */
export const parseIdxE = (bytes: Uint8Array, name: string, expectedDims?: number): E.Either<Error, IdxArray> => {
  const fail = (what: string): E.Either<Error, never> => E.left(new Error(`${name}: ${what}`));
  if (bytes.length < 4) return fail(`truncated: ${bytes.length} bytes is too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = bytes[2];
  const ndims = bytes[3];
  if (expectedDims !== undefined) {
    const want = (UBYTE << 8) | expectedDims;
    if (magic !== want && (magic & ~0xff) === UBYTE << 8) {
      return fail(`wrong number of dimensions: magic ${hex32(magic)} says ${ndims}, expected ${expectedDims} (${describe(expectedDims)})`);
    }
    if (magic !== want) return fail(`bad magic ${hex32(magic)}, expected ${hex32(want)} (${describe(expectedDims)})`);
  } else if (bytes[0] !== 0 || bytes[1] !== 0) {
    return fail(`bad magic ${hex32(magic)}: an IDX file starts with two zero bytes`);
  }
  if (type !== UBYTE) {
    const tname = TYPE_NAMES[type] ?? 'unknown';
    return fail(`unsupported element type 0x${type.toString(16).padStart(2, '0')} (${tname}); only 0x08 (ubyte) is supported`);
  }
  const header = 4 + 4 * ndims;
  if (bytes.length < header) return fail(`truncated: header needs ${header} bytes for ${ndims} dimensions, found ${bytes.length}`);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  // Exact: 255 dims of up to 2^32 - 1 each must not overflow to a plausible (or NaN) count.
  const expected = BigInt(header) + exactSize(dims);
  const found = BigInt(bytes.length);
  if (found < expected) return fail(`truncated: expected ${expected} bytes, found ${found} (the header says dims [${dims.join(', ')}])`);
  if (found > expected) return fail(`too long: expected ${expected} bytes for dims [${dims.join(', ')}], found ${found}`);
  return E.right({ dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + header, bytes.length - header) });
};

/** `parseIdxE`, throwing. */
export const parseIdx = (bytes: Uint8Array, name: string, expectedDims?: number): IdxArray => getOrThrow(parseIdxE(bytes, name, expectedDims));

/**
 * Read and parse an IDX file from disk, gunzipping it first when the path ends in `.gz`
 * (any case). The file, and its decompressed contents, may be at most `limits.maxArrayBytes`
 * (default MAX_ARRAY_BYTES, 1 GiB); decompression stops as soon as it passes the cap.
 */
export const readIdxFileE = (path: string, expectedDims?: number, limits: ReadLimits = {}): E.Either<Error, IdxArray> => pipe(
  resolveLimitsE(limits),
  E.flatMap(({ maxArrayBytes: cap }) => pipe(
    readFileCappedE(path, cap, 'maxArrayBytes'),
    E.flatMap((bytes) => (/\.gz$/i.test(path) ? gunzipCappedE(bytes, path, cap) : E.right(bytes))),
  )),
  E.flatMap((bytes) => parseIdxE(bytes, path, expectedDims)),
);

/** `readIdxFileE`, throwing. */
export const readIdxFile = (path: string, expectedDims?: number, limits: ReadLimits = {}): IdxArray =>
  getOrThrow(readIdxFileE(path, expectedDims, limits));

/** Gunzips `bytes`, refusing output over `cap` bytes without producing more than that. */
export const gunzipCappedE = (bytes: Uint8Array, name: string, cap: number): E.Either<Error, Uint8Array> => {
  const over = (what: string): Error => new Error(`${name}: ${what}, over the cap of ${cap} bytes (raise it with the maxArrayBytes option)`);
  // The trailer's ISIZE is the last member's size mod 2^32, so the output is at least that:
  // a bomb that admits its size is refused without inflating anything.
  if (bytes.length >= 18) {
    const isize = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
    if (isize > cap) return E.left(over(`the gzip trailer says it decompresses to at least ${isize} bytes`));
  }
  return pipe(
    // zlib stops as soon as the output passes maxOutputLength (which must be in [1, MAX_LENGTH]).
    E.tryCatch((): Uint8Array => gunzipSync(bytes, { maxOutputLength: Math.max(1, Math.min(cap, bufferConstants.MAX_LENGTH)) }), (e) => {
      const err = e as NodeJS.ErrnoException;
      return err.code === 'ERR_BUFFER_TOO_LARGE' ? over('it decompresses to more bytes') : new Error(`${name}: not valid gzip data: ${err.message}`);
    }),
    E.filterOrElse((out) => out.length <= cap, (out) => over(`it decompresses to ${out.length} bytes`)),
  );
};

/** `gunzipCappedE`, throwing. */
export const gunzipCapped = (bytes: Uint8Array, name: string, cap: number): Uint8Array => getOrThrow(gunzipCappedE(bytes, name, cap));
