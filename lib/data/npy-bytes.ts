/**
 * NumPy `.npy` reader and writer (format versions 1.0, 2.0 and 3.0).
 *
 * Layout: magic `\x93NUMPY`, major and minor version bytes, a little-endian
 * header length (uint16 in v1, uint32 in v2/v3), an ASCII (v3: UTF-8) Python
 * dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`,
 * then the raw elements. Only C-order arrays are read.
 *
 * Element types: little-endian float32 (`<f4`) and float64 (`<f8`) are read as they are;
 * int32 (`<i4`), int64 (`<i8`) and uint8 (`|u1`) are widened to float64, and an int64 value
 * beyond ±2^53 (not exactly representable) is refused. `descr` on the result records the
 * file's own type, so a caller that wants floats only (the weight loader) can refuse the rest.
 *
 * Hostile headers are refused before anything is allocated: the header length is bounded
 * (MAX_NPY_HEADER_BYTES), dims must be non-negative safe integers (at most MAX_NPY_DIMS of
 * them), the declared byte size (computed exactly, as a bigint) must equal the bytes present,
 * and it must be within the maxArrayBytes cap.
 *
 * `parseNpyE` returns an Either (Left: an Error whose message starts with the name); `parseNpy`
 * throws that error. Browser-safe (no node: imports): data/npy.ts adds reading and writing files.
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { describeErrors, getOrThrow, showValue, type DecodeFailure } from '../decode.ts';
import { MAX_NPY_DIMS, MAX_NPY_HEADER_BYTES, exactSize, resolveLimitsE, type ReadLimits } from './caps.ts';

/**
 * An array read from or written to a `.npy` file; `data` is row-major (C order).
 * `descr` is the dtype the file stored (e.g. `<f4`, `<i8`); absent on arrays built in memory.
 */
export type NpyArray =
  | { readonly dtype: 'float32'; readonly shape: readonly number[]; readonly data: Float32Array; readonly descr?: string }
  | { readonly dtype: 'float64'; readonly shape: readonly number[]; readonly data: Float64Array; readonly descr?: string };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

// --- header dict: a tiny parser for the Python literal subset numpy writes ---

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

// Deeper nesting than a header ever has (dict > tuple > value) is refused, not recursed into.
const MAX_NESTING = 16;
// Sticky, so matching at offset i does not copy the rest of the header (which would be quadratic).
const WORD = /True|False|None|-?\d+L?/y;

function parsePyLiteral(src: string): PyValue {
  let i = 0;
  let depth = 0;
  const err = (what: string): never => {
    throw new Error(`${what} at offset ${i} of header ${JSON.stringify(src)}`);
  };
  const ws = (): void => {
    while (i < src.length && /\s/.test(src[i])) i++;
  };
  // Items up to `close`, allowing the trailing comma Python permits.
  const seq = <T>(close: string, item: () => T): T[] => {
    const out: T[] = [];
    for (;;) {
      ws();
      if (src[i] === close) return i++, out;
      out.push(item());
      ws();
      if (src[i] === ',') i++;
      else if (src[i] !== close) err(`expected ',' or '${close}'`);
    }
  };
  const value = (): PyValue => {
    ws();
    const c = src[i];
    if ((c === '{' || c === '(' || c === '[') && depth >= MAX_NESTING) err(`nested deeper than ${MAX_NESTING} levels`);
    depth++;
    try {
      return scalarOrContainer(c);
    } finally {
      depth--;
    }
  };
  const scalarOrContainer = (c: string | undefined): PyValue => {
    if (c === '{') {
      i++;
      const obj: { [key: string]: PyValue } = {};
      seq('}', () => {
        const k = value();
        if (typeof k !== 'string') err('dict key must be a string');
        ws();
        if (src[i++] !== ':') err("expected ':'");
        obj[k as string] = value();
      });
      return obj;
    }
    if (c === '(') return i++, seq(')', value);
    if (c === '[') return i++, seq(']', value);
    if (c === "'" || c === '"') {
      let s = '';
      for (i++; src[i] !== c; i++) {
        if (i >= src.length) err('unterminated string');
        s += src[i] === '\\' ? src[++i] : src[i];
      }
      return i++, s;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(src);
    if (!word) return err('unexpected character');
    i += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number.parseInt(word[0], 10); // Python 2 files may write `3L`
  };
  const v = value();
  ws();
  if (i !== src.length) err('unexpected trailing text');
  return v;
}

// --- header validation with io-ts, so each failure names its field ---

interface NonNegIntBrand {
  readonly NonNegInt: unique symbol;
}
const NonNegInt = t.brand(
  t.number,
  (n): n is t.Branded<number, NonNegIntBrand> => Number.isSafeInteger(n) && n >= 0,
  'NonNegInt',
);
const Header = t.type({ descr: t.string, fortran_order: t.boolean, shape: t.array(NonNegInt) });
const KEYS = new Set(['descr', 'fortran_order', 'shape']);

// The wording .npy header errors have always had: field 'shape.1' must be NonNegInt, got -1.
const headerPhrase = (f: DecodeFailure): string =>
  `field '${f.field}' must be ${f.expected.join(' or ')}, got ${f.value === undefined ? 'missing' : showValue(f.value)}`;

/** The header dict, checked: exactly numpy's three keys, each of the right type. */
const decodeHeader = (raw: PyValue): E.Either<string, t.TypeOf<typeof Header>> => {
  const bad = (what: string): E.Either<string, never> => E.left(`invalid .npy header: ${what}`);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return bad('not a dict');
  const extra = Object.keys(raw).find((k) => !KEYS.has(k));
  if (extra !== undefined) return bad(`unexpected key '${extra}'`);
  if (Array.isArray(raw.descr)) return bad(`structured dtype ${JSON.stringify(raw.descr)} is not supported`);
  // before decoding, so a hostile header of a million dims costs no million decode errors
  if (Array.isArray(raw.shape) && raw.shape.length > MAX_NPY_DIMS) {
    return E.left(`shape has ${raw.shape.length} dimensions, more than the ${MAX_NPY_DIMS} supported`);
  }
  return pipe(Header.decode(raw), E.mapLeft((errors) => `invalid .npy header: ${describeErrors(errors, headerPhrase)}`));
};

/** Parses and checks the header text. */
const parseHeader = (text: string): E.Either<string, t.TypeOf<typeof Header>> => pipe(
  E.tryCatch(() => parsePyLiteral(text.trim()), (e) => `invalid .npy header: ${(e as Error).message}`),
  E.flatMap(decodeHeader),
);

// --- dtypes ---

interface DtypeInfo {
  readonly size: number;
  readonly out: 'float32' | 'float64';
  /** Reads element i (little-endian) from a view over the data region. */
  readonly get: (v: DataView, i: number) => number;
}

const EXACT = BigInt(Number.MAX_SAFE_INTEGER);

// An int64 is widened only when float64 holds it exactly; the error is prefixed by the caller.
const int64 = (v: DataView, i: number): number => {
  const b = v.getBigInt64(8 * i, true);
  if (b > EXACT || b < -EXACT) throw new RangeError(`int64 value ${b} at index ${i} is not exactly representable as float64`);
  return Number(b);
};

// Integer and byte dtypes are widened to float64.
const DTYPES: Readonly<Record<string, DtypeInfo>> = {
  '<f4': { size: 4, out: 'float32', get: (v, i) => v.getFloat32(4 * i, true) },
  '<f8': { size: 8, out: 'float64', get: (v, i) => v.getFloat64(8 * i, true) },
  '<i4': { size: 4, out: 'float64', get: (v, i) => v.getInt32(4 * i, true) },
  '<i8': { size: 8, out: 'float64', get: int64 },
  '|u1': { size: 1, out: 'float64', get: (v, i) => v.getUint8(i) },
};

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Number of elements of a shape (1 for the scalar shape `[]`). */
export const shapeSize = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The header text of a `.npy` file and the data region after it. */
interface Framing {
  readonly text: string;
  readonly data: Uint8Array;
}

/** Magic, version and header length, checked; the header text decoded as its version says. */
const frame = (bytes: Uint8Array): E.Either<string, Framing> => {
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) return E.left('bad magic: not a .npy file');
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3) return E.left(`unsupported .npy format version ${major}.${minor}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) return E.left('truncated header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLen > MAX_NPY_HEADER_BYTES) return E.left(`header of ${headerLen} bytes is over the limit of ${MAX_NPY_HEADER_BYTES} bytes`);
  const start = 8 + lenBytes + headerLen;
  if (bytes.length < start) return E.left(`truncated header: needs ${start} bytes, found ${bytes.length}`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenBytes, start));
  return E.right({ text, data: bytes.subarray(start) });
};

/** What a checked header says the data region holds. */
interface Layout {
  readonly descr: string;
  readonly dt: DtypeInfo;
  readonly shape: number[];
  readonly count: number;
}

/** The header against the data present: C order, a known dtype, a shape whose exact size is the bytes found, within the cap. */
const layoutOf = (header: t.TypeOf<typeof Header>, found: number, maxArrayBytes: number): E.Either<string, Layout> => {
  if (header.fortran_order) return E.left('fortran_order=True (column-major) arrays are not supported; save with C order');
  const descr = header.descr;
  // own keys only: a descr like 'constructor' must not find Object.prototype's
  if (!Object.hasOwn(DTYPES, descr)) return E.left(`unsupported dtype '${descr}' (supported: ${Object.keys(DTYPES).join(', ')})`);
  const dt = DTYPES[descr];
  const shape: number[] = [...header.shape]; // at most MAX_NPY_DIMS, checked by decodeHeader
  // Exact (bigint) sizes: a shape like (1e12, 1e12) must not overflow into a plausible number.
  const count = exactSize(shape);
  const nbytes = count * BigInt(dt.size);
  const what = `shape (${shape.join(', ')}) ${descr} needs ${nbytes} bytes, found ${found}`;
  if (BigInt(found) < nbytes) return E.left(`truncated data: ${what}`);
  if (BigInt(found) > nbytes) return E.left(`too long: ${what}`);
  if (nbytes > BigInt(maxArrayBytes)) {
    return E.left(`shape (${shape.join(', ')}) ${descr} is ${nbytes} bytes, over the cap of ${maxArrayBytes} bytes (raise it with the maxArrayBytes option)`);
  }
  return E.right({ descr, dt, shape, count: Number(count) });
};

/** The elements of a data region exactly as long as its layout needs, copied into a fresh typed array. */
const readData = (region: Uint8Array, { descr, dt, shape, count: n }: Layout): E.Either<string, NpyArray> => {
  // Fast path: a straight byte copy when the element layout matches the host's.
  if (LITTLE_ENDIAN_HOST && descr === '<f4') {
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(region);
    return E.right({ dtype: 'float32', shape, data, descr });
  }
  if (LITTLE_ENDIAN_HOST && descr === '<f8') {
    const data = new Float64Array(n);
    new Uint8Array(data.buffer).set(region);
    return E.right({ dtype: 'float64', shape, data, descr });
  }
  const v = new DataView(region.buffer, region.byteOffset, region.byteLength);
  const data = dt.out === 'float32' ? new Float32Array(n) : new Float64Array(n);
  // an int64 beyond 2^53 throws from inside the loop
  return E.tryCatch((): NpyArray => {
    for (let i = 0; i < n; i++) data[i] = dt.get(v, i);
    return data instanceof Float32Array ? { dtype: 'float32', shape, data, descr } : { dtype: 'float64', shape, data, descr };
  }, (e) => (e as Error).message);
};

/**
 * Parse `.npy` bytes into a fresh, aligned typed array; Left an Error starting with `name`.
 * `limits.maxArrayBytes` (default MAX_ARRAY_BYTES, 1 GiB) caps the data region.
 */
export const parseNpyE = (bytes: Uint8Array, name: string, limits: ReadLimits = {}): E.Either<Error, NpyArray> => pipe(
  resolveLimitsE(limits),
  E.flatMap(({ maxArrayBytes }) => pipe(
    frame(bytes),
    E.flatMap(({ text, data }) => pipe(
      parseHeader(text),
      E.flatMap((header) => layoutOf(header, data.length, maxArrayBytes)),
      E.flatMap((layout) => readData(data, layout)),
    )),
    E.mapLeft((what) => new Error(`${name}: ${what}`)),
  )),
);

/** `parseNpyE`, throwing. */
export const parseNpy = (bytes: Uint8Array, name: string, limits: ReadLimits = {}): NpyArray => getOrThrow(parseNpyE(bytes, name, limits));

/** Serialize an array as `.npy` (v1.0, or v2.0 if the header needs it), C order, little-endian. */
export function encodeNpy(arr: NpyArray, name = 'array'): Uint8Array {
  const n = shapeSize(arr.shape);
  if (!arr.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${name}: invalid shape [${arr.shape.join(', ')}]`);
  }
  if (arr.data.length !== n) {
    throw new Error(`${name}: shape (${arr.shape.join(', ')}) has ${n} elements but data has ${arr.data.length}`);
  }
  const descr = arr.dtype === 'float32' ? '<f4' : '<f8';
  const tuple = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  // numpy pads the header with spaces and a final newline so data starts 64-byte aligned.
  let major = 1;
  let pre = 10;
  if (dict.length + 1 + pre > 0xffff) (major = 2), (pre = 12);
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + arr.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  for (let k = 0; k < dict.length; k++) out[pre + k] = dict.charCodeAt(k);
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), total);
  } else {
    const dv = new DataView(out.buffer, total);
    for (let i = 0; i < n; i++) {
      if (arr.dtype === 'float32') dv.setFloat32(4 * i, arr.data[i], true);
      else dv.setFloat64(8 * i, arr.data[i], true);
    }
  }
  return out;
}
