/**
 * IDX file reader (the format of MNIST and Fashion-MNIST).
 *
 * Layout: a big-endian uint32 magic `0x0000TTNN` (TT = element type code,
 * NN = number of dimensions), NN big-endian uint32 sizes, then the elements
 * in row-major order. Only unsigned bytes (TT = 0x08) are supported: that is
 * all the MNIST family uses.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

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
  const count = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) fail(`dimensions [${dims.join(', ')}] are too large`);
  const expected = header + count;
  if (bytes.length < expected) fail(`truncated: expected ${expected} bytes, found ${bytes.length}`);
  if (bytes.length > expected) {
    fail(`too long: expected ${expected} bytes for dims [${dims.join(', ')}], found ${bytes.length}`);
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + header, count) };
}

/** Read and parse an IDX file from disk, gunzipping it first when the path ends in `.gz`. */
export function readIdxFile(path: string, expectedDims?: number): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${path}: not valid gzip data: ${(e as Error).message}`);
    }
  }
  return parseIdx(bytes, path, expectedDims);
}
