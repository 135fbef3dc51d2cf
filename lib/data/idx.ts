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
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { exactSize, readFileCapped, resolveLimits, type ReadLimits } from './limits.ts';

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
export function parseIdx(bytes: Uint8Array, name: string, expectedDims?: number): IdxArray {
  const fail = (what: string): never => {
    throw new Error(`${name}: ${what}`);
  };
  if (bytes.length < 4) fail(`truncated: ${bytes.length} bytes is too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = bytes[2];
  const ndims = bytes[3];
  if (expectedDims !== undefined) {
    const want = (UBYTE << 8) | expectedDims;
    if (magic !== want && (magic & ~0xff) === UBYTE << 8) {
      fail(`wrong number of dimensions: magic ${hex32(magic)} says ${ndims}, expected ${expectedDims} (${describe(expectedDims)})`);
    }
    if (magic !== want) {
      fail(`bad magic ${hex32(magic)}, expected ${hex32(want)} (${describe(expectedDims)})`);
    }
  } else if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`bad magic ${hex32(magic)}: an IDX file starts with two zero bytes`);
  }
  if (type !== UBYTE) {
    const tname = TYPE_NAMES[type] ?? 'unknown';
    fail(`unsupported element type 0x${type.toString(16).padStart(2, '0')} (${tname}); only 0x08 (ubyte) is supported`);
  }
  const header = 4 + 4 * ndims;
  if (bytes.length < header) {
    fail(`truncated: header needs ${header} bytes for ${ndims} dimensions, found ${bytes.length}`);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  // Exact: 255 dims of up to 2^32 - 1 each must not overflow to a plausible (or NaN) count.
  const expected = BigInt(header) + exactSize(dims);
  const found = BigInt(bytes.length);
  if (found < expected) fail(`truncated: expected ${expected} bytes, found ${found} (the header says dims [${dims.join(', ')}])`);
  if (found > expected) {
    fail(`too long: expected ${expected} bytes for dims [${dims.join(', ')}], found ${found}`);
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + header, bytes.length - header) };
}

/**
 * Read and parse an IDX file from disk, gunzipping it first when the path ends in `.gz`
 * (any case). The file, and its decompressed contents, may be at most `limits.maxArrayBytes`
 * (default MAX_ARRAY_BYTES, 1 GiB); decompression stops as soon as it passes the cap.
 */
export function readIdxFile(path: string, expectedDims?: number, limits: ReadLimits = {}): IdxArray {
  const cap = resolveLimits(limits).maxArrayBytes;
  const bytes = readFileCapped(path, cap, 'maxArrayBytes');
  return parseIdx(/\.gz$/i.test(path) ? gunzipCapped(bytes, path, cap) : bytes, path, expectedDims);
}

/** Gunzips `bytes`, refusing output over `cap` bytes without producing more than that. */
export function gunzipCapped(bytes: Uint8Array, name: string, cap: number): Uint8Array {
  const over = (what: string): never => {
    throw new Error(`${name}: ${what}, over the cap of ${cap} bytes (raise it with the maxArrayBytes option)`);
  };
  // The trailer's ISIZE is the last member's size mod 2^32, so the output is at least that:
  // a bomb that admits its size is refused without inflating anything.
  if (bytes.length >= 18) {
    const isize = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
    if (isize > cap) over(`the gzip trailer says it decompresses to at least ${isize} bytes`);
  }
  let out: Uint8Array;
  try {
    // zlib stops as soon as the output passes maxOutputLength (which must be in [1, MAX_LENGTH]).
    out = gunzipSync(bytes, { maxOutputLength: Math.max(1, Math.min(cap, bufferConstants.MAX_LENGTH)) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') return over('it decompresses to more bytes');
    throw new Error(`${name}: not valid gzip data: ${err.message}`);
  }
  if (out.length > cap) over(`it decompresses to ${out.length} bytes`);
  return out;
}
