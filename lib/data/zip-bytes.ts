/**
 * A small, strict zip reader for `.npz` archives: stored and deflated members, zip64 sizes.
 *
 * Like Python's zipfile, sizes and CRC-32s are taken from the central directory (NumPy's local
 * headers carry 0xFFFFFFFF placeholders). Unlike a general unzipper it trusts nothing: every
 * declared size is checked against the caps before anything is inflated, inflation stops as
 * soon as it passes the declared size, and every member's CRC-32 is verified, so a damaged
 * archive is refused rather than read as slightly different numbers.
 *
 * Browser-safe (no node: imports): inflation and CRC-32 come from an `Inflater`, by default
 * fflate and a table-driven CRC-32; data/zip.ts supplies Node's zlib for the same reader.
 */
import { Inflate } from 'fflate';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Limits } from './caps.ts';

/** One member of an archive; `data` of a stored member is a view into the archive's bytes. */
export interface ZipMember {
  readonly name: string;
  readonly data: Uint8Array;
}

const SIG = { eocd: 0x06054b50, zip64Locator: 0x07064b50, zip64Eocd: 0x06064b50, central: 0x02014b50, local: 0x04034b50 };
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
const ZIP64_EXTRA = 0x0001;
const STORED = 0;
const DEFLATED = 8;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Raw-deflate inflation bounded by a member's declared size, and CRC-32: what reading a zip needs from a platform. */
export interface Inflater {
  /** The inflated data, or Left why: damaged data, or past `size` bytes (stopping soon after). */
  readonly inflateRaw: (data: Uint8Array, size: number) => E.Either<string, Uint8Array>;
  /** CRC-32 (the zip/gzip polynomial) of the data. */
  readonly crc32: (data: Uint8Array) => number;
}

/** Why inflation stopped at the declared size (shared by the inflaters, so both refuse alike). */
export const overDeclared = (size: number): string => `inflates to more than the ${size} bytes it declares: the file is damaged or hostile`;

// CRC-32 table of the reflected polynomial 0xEDB88320, one entry per byte value.
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 in plain JavaScript (a table lookup per byte: a few ms per megabyte). */
export const crc32Portable = (data: Uint8Array): number => {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

// Compressed bytes per push: deflate expands at most ~1032×, so output passes the bound by a few MiB at most.
const PUSH_BYTES = 4096;

/** fflate's streaming inflate, fed a slice at a time and stopped once the output passes `size`. */
const inflateRawPortable = (data: Uint8Array, size: number): E.Either<string, Uint8Array> => {
  const parts: Uint8Array[] = [];
  let total = 0;
  const stream = new Inflate((chunk) => {
    total += chunk.length;
    if (total <= size) parts.push(chunk);
  });
  try {
    for (let p = 0; total <= size; p += PUSH_BYTES) {
      const end = Math.min(data.length, p + PUSH_BYTES);
      stream.push(data.subarray(p, end), end === data.length);
      if (end === data.length) break;
    }
  } catch (e) {
    return E.left(`deflate data is damaged: ${(e as Error).message}`);
  }
  if (total > size) return E.left(overDeclared(size));
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) out.set(part, at), (at += part.length);
  return E.right(out);
};

/** Inflation and CRC-32 in plain JavaScript (fflate): works in browsers and Node alike. */
export const portableInflater: Inflater = { inflateRaw: inflateRawPortable, crc32: crc32Portable };

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/** What the central directory says about one member. */
interface Entry {
  readonly name: string;
  readonly rawName: Uint8Array;
  readonly method: number;
  readonly crc: number;
  readonly csize: number;
  readonly usize: number;
  readonly local: number;
}

/** Where the central directory is, as the end record (or its zip64 form) says. */
interface Directory {
  readonly count: number;
  readonly cdSize: number;
  readonly cdOffset: number;
  /** Where the directory must end: the (zip64) end record. */
  readonly cdEnd: number;
}

/** Little-endian reads of an archive, and the two ways it is refused. */
interface Archive {
  readonly bytes: Uint8Array;
  readonly u16: (p: number) => number;
  readonly u32: (p: number) => number;
  /** A zip64 value, or a structural error when it exceeds 2^53 (no archive that large can be read). */
  readonly u64: (p: number, what: string) => E.Either<Error, number>;
  /** "<name>: not a valid <label> archive: <what>". */
  readonly bad: (what: string) => E.Either<Error, never>;
  /** "<name>: <member>: <what>". */
  readonly memberError: (member: string, what: string) => Error;
  /** Left a memberError. */
  readonly fail: (member: string, what: string) => E.Either<Error, never>;
}

const archiveOf = (bytes: Uint8Array, name: string, label: string): Archive => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (what: string): E.Either<Error, never> => E.left(new Error(`${name}: not a valid ${label} archive: ${what}`));
  const memberError = (member: string, what: string): Error => new Error(`${name}: ${member}: ${what}`);
  return {
    bytes,
    u16: (p) => view.getUint16(p, true),
    u32: (p) => view.getUint32(p, true),
    u64: (p, what) => {
      const v = view.getBigUint64(p, true);
      return v <= MAX_SAFE ? E.right(Number(v)) : bad(`${what} ${v} is impossibly large`);
    },
    bad,
    memberError,
    fail: (member, what) => E.left(memberError(member, what)),
  };
};

/**
 * The end record is the last 22 bytes plus a comment whose length it gives; requiring the
 * comment to reach exactly the end rules out signatures that happen to occur in data.
 */
const directoryOf = (a: Archive): E.Either<Error, Directory> => {
  const { bytes, u16, u32, u64, bad } = a;
  let eocd = -1;
  for (let p = bytes.length - EOCD_SIZE; p >= 0 && p >= bytes.length - EOCD_SIZE - MAX_COMMENT; p--) {
    if (u32(p) === SIG.eocd && p + EOCD_SIZE + u16(p + 20) === bytes.length) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) return bad(`no end-of-central-directory record in its ${bytes.length} bytes: the file is truncated or not a zip`);
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0) return bad('multi-disk (split) archives are not supported');
  const loc = eocd - 20;
  const found: E.Either<Error, Directory> = loc >= 0 && u32(loc) === SIG.zip64Locator
    ? pipe(
      u64(loc + 8, 'zip64 end record offset'),
      E.flatMap((z) => (z + 56 > loc || u32(z) !== SIG.zip64Eocd ? bad(`zip64 end record missing at offset ${z}`) : E.right(z))),
      E.flatMap((z) => pipe(
        E.Do,
        E.bind('count', () => u64(z + 32, 'member count')),
        E.bind('cdSize', () => u64(z + 40, 'central directory size')),
        E.bind('cdOffset', () => u64(z + 48, 'central directory offset')),
        E.let('cdEnd', () => z),
      )),
    )
    : E.right({ count: u16(eocd + 10), cdSize: u32(eocd + 12), cdOffset: u32(eocd + 16), cdEnd: eocd });
  return pipe(found, E.flatMap((d) => {
    if (d.cdOffset + d.cdSize !== d.cdEnd) {
      return bad(`the central directory (offset ${d.cdOffset}, ${d.cdSize} bytes) does not end where the end record starts (offset ${d.cdEnd}): the file is truncated or damaged`);
    }
    // Each entry takes at least 46 bytes: a count the directory cannot hold is refused before any work.
    if (d.count * CENTRAL_SIZE > d.cdSize) return bad(`the end record claims ${d.count} members, but the central directory has only ${d.cdSize} bytes`);
    return E.right(d);
  }));
};

/** An entry's sizes and local header offset (32-bit in the directory entry, 64-bit in its zip64 extra field). */
type Sizes = { usize: number; csize: number; local: number };
const ZIP64_FIELDS = [['usize', 'uncompressed size'], ['csize', 'compressed size'], ['local', 'local header offset']] as const;

/** zip64: the fields stored as 0xFFFFFFFF follow, in this order, in extra field 0x0001; Right the sizes with them read. */
const widen = (a: Archive, member: string, sizes: Sizes, extra: number, extraEnd: number): E.Either<Error, Sizes> => {
  const out = { ...sizes };
  for (let e = extra; e + 4 <= extraEnd; e += 4 + a.u16(e + 2)) {
    if (a.u16(e) !== ZIP64_EXTRA) continue;
    const fieldEnd = Math.min(e + 4 + a.u16(e + 2), extraEnd);
    let f = e + 4;
    for (const [k, what] of ZIP64_FIELDS) {
      if (out[k] !== 0xffffffff) continue;
      if (f + 8 > fieldEnd) return a.fail(member, `zip64 extra field too short for the ${what}`);
      const v = a.u64(f, `${member}: ${what}`);
      if (E.isLeft(v)) return v;
      out[k] = v.right;
      f += 8;
    }
  }
  return E.right(out);
};

/** The central directory's entries, every declared size checked against the caps; no member data touched. */
const entriesOf = (a: Archive, d: Directory, limits: Limits): E.Either<Error, Entry[]> => {
  const { bytes, u16, u32, bad, fail } = a;
  const entries: Entry[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0, q = d.cdOffset; i < d.count; i++) {
    if (q + CENTRAL_SIZE > d.cdEnd || u32(q) !== SIG.central) return bad(`central directory entry ${i} (offset ${q}) is damaged`);
    const flags = u16(q + 8);
    const nameLen = u16(q + 28);
    const extraLen = u16(q + 30);
    const next = q + CENTRAL_SIZE + nameLen + extraLen + u16(q + 32);
    if (next > d.cdEnd) return bad(`central directory entry ${i} (offset ${q}) runs past the directory`);
    const rawName = bytes.subarray(q + CENTRAL_SIZE, q + CENTRAL_SIZE + nameLen);
    // Bit 11: UTF-8 name; otherwise zip's legacy code page, which agrees with Latin-1 on ASCII names.
    const member = new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(rawName);
    const extra = q + CENTRAL_SIZE + nameLen;
    const sizes = widen(a, member, { usize: u32(q + 24), csize: u32(q + 20), local: u32(q + 42) }, extra, extra + extraLen);
    if (E.isLeft(sizes)) return sizes;
    const { usize, csize, local } = sizes.right;
    const method = u16(q + 10);
    if (flags & 1) return fail(member, 'encrypted members are not supported');
    if (method !== STORED && method !== DEFLATED) return fail(member, `compression method ${method} is not supported (only 0, stored, and 8, deflate)`);
    if (seen.has(member)) return fail(member, 'appears twice in the archive');
    seen.add(member);
    if (usize > limits.maxArrayBytes) {
      return fail(member, `declares ${usize} bytes uncompressed, over the cap of ${limits.maxArrayBytes} bytes per array (raise it with the maxArrayBytes option)`);
    }
    total += usize;
    if (total > limits.maxTotalBytes) {
      return fail(member, `brings the archive's declared uncompressed size to ${total} bytes, over the cap of ${limits.maxTotalBytes} bytes (raise it with the maxTotalBytes option)`);
    }
    if (method === STORED && csize !== usize) return fail(member, `stored member declares ${csize} bytes stored but ${usize} uncompressed: the file is damaged`);
    entries.push({ name: member, rawName, method, crc: u32(q + 16), csize, usize, local });
    q = next;
  }
  return E.right(entries);
};

/** One member's data: its local header matching the directory, inflated within its declared size, its CRC-32 verified. */
const extract = (a: Archive, d: Directory, inflater: Inflater) => (en: Entry): E.Either<Error, ZipMember> => {
  const { bytes, u16, u32 } = a;
  const fail = (what: string): E.Either<Error, never> => a.fail(en.name, what);
  const p = en.local;
  if (p + LOCAL_SIZE > d.cdOffset || u32(p) !== SIG.local) return fail(`no local header at offset ${p}: the file is damaged`);
  const nameLen = u16(p + 26);
  const start = p + LOCAL_SIZE + nameLen + u16(p + 28);
  if (start + en.csize > d.cdOffset) {
    return fail(`its ${en.csize} bytes of data at offset ${start} run past the central directory (offset ${d.cdOffset}): the file is truncated or damaged`);
  }
  const rawName = bytes.subarray(p + LOCAL_SIZE, p + LOCAL_SIZE + nameLen);
  if (rawName.length !== en.rawName.length || rawName.some((b, k) => b !== en.rawName[k])) {
    return fail('the local header names it differently: the file is damaged');
  }
  const stored = bytes.subarray(start, start + en.csize);
  return pipe(
    en.method === STORED ? E.right(stored) : inflater.inflateRaw(stored, en.usize),
    E.mapLeft((what) => a.memberError(en.name, what)),
    E.flatMap((data) => {
      if (data.length !== en.usize) return fail(`inflates to ${data.length} bytes, but the central directory says ${en.usize}: the file is damaged`);
      const got = inflater.crc32(data) >>> 0;
      if (got !== en.crc) return fail(`CRC-32 mismatch (the central directory says ${hex(en.crc)}, the data gives ${hex(got)}): the file is damaged`);
      return E.right({ name: en.name, data });
    }),
  );
};

/**
 * The members of a zip archive, in central-directory order, or Left the first refusal, inflating
 * and checking with `inflater` (default: the portable one; data/zip.ts passes Node's zlib).
 * `name` (the file) starts every error; structural errors read
 * "<name>: not a valid <label> archive: …", member errors "<name>: <member>: …".
 * Only once every declaration is within the caps is any member's data touched.
 */
export const readZipBytesE = (
  bytes: Uint8Array, name: string, limits: Limits, label = 'zip', inflater: Inflater = portableInflater,
): E.Either<Error, readonly ZipMember[]> => {
  const a = archiveOf(bytes, name, label);
  return pipe(
    directoryOf(a),
    E.flatMap((d) => pipe(entriesOf(a, d, limits), E.flatMap(E.traverseArray(extract(a, d, inflater))))),
  );
};
