/**
 * A small, strict zip reader for `.npz` archives: stored and deflated members, zip64 sizes.
 *
 * Like Python's zipfile, sizes and CRC-32s are taken from the central directory (NumPy's local
 * headers carry 0xFFFFFFFF placeholders). Unlike a general unzipper it trusts nothing: every
 * declared size is checked against the caps before anything is inflated, inflation stops as
 * soon as it passes the declared size, and every member's CRC-32 is verified, so a damaged
 * archive is refused rather than read as slightly different numbers.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import type { Limits } from './limits.ts';

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

/**
 * The members of a zip archive, in central-directory order. `name` (the file) starts every
 * error; structural errors read "<name>: not a valid <label> archive: …", member errors
 * "<name>: <member>: …".
 */
export function readZip(bytes: Uint8Array, name: string, limits: Limits, label = 'zip'): ZipMember[] {
  const bad = (what: string): never => {
    throw new Error(`${name}: not a valid ${label} archive: ${what}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (p: number): number => view.getUint16(p, true);
  const u32 = (p: number): number => view.getUint32(p, true);
  const u64 = (p: number, what: string): number => {
    const v = view.getBigUint64(p, true);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : bad(`${what} ${v} is impossibly large`);
  };

  // The end record is the last 22 bytes plus a comment whose length it gives; requiring the
  // comment to reach exactly the end rules out signatures that happen to occur in data.
  let eocd = -1;
  for (let p = bytes.length - EOCD_SIZE; p >= 0 && p >= bytes.length - EOCD_SIZE - MAX_COMMENT; p--) {
    if (u32(p) === SIG.eocd && p + EOCD_SIZE + u16(p + 20) === bytes.length) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) bad(`no end-of-central-directory record in its ${bytes.length} bytes: the file is truncated or not a zip`);
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0) bad('multi-disk (split) archives are not supported');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  let cdEnd = eocd;
  const loc = eocd - 20;
  if (loc >= 0 && u32(loc) === SIG.zip64Locator) {
    const z = u64(loc + 8, 'zip64 end record offset');
    if (z + 56 > loc || u32(z) !== SIG.zip64Eocd) bad(`zip64 end record missing at offset ${z}`);
    count = u64(z + 32, 'member count');
    cdSize = u64(z + 40, 'central directory size');
    cdOffset = u64(z + 48, 'central directory offset');
    cdEnd = z;
  }
  if (cdOffset + cdSize !== cdEnd) {
    bad(`the central directory (offset ${cdOffset}, ${cdSize} bytes) does not end where the end record starts (offset ${cdEnd}): the file is truncated or damaged`);
  }
  // Each entry takes at least 46 bytes: a count the directory cannot hold is refused before any work.
  if (count * CENTRAL_SIZE > cdSize) bad(`the end record claims ${count} members, but the central directory has only ${cdSize} bytes`);

  const entries: Entry[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0, q = cdOffset; i < count; i++) {
    if (q + CENTRAL_SIZE > cdEnd || u32(q) !== SIG.central) bad(`central directory entry ${i} (offset ${q}) is damaged`);
    const flags = u16(q + 8);
    const nameLen = u16(q + 28);
    const extraLen = u16(q + 30);
    const next = q + CENTRAL_SIZE + nameLen + extraLen + u16(q + 32);
    if (next > cdEnd) bad(`central directory entry ${i} (offset ${q}) runs past the directory`);
    const rawName = bytes.subarray(q + CENTRAL_SIZE, q + CENTRAL_SIZE + nameLen);
    // Bit 11: UTF-8 name; otherwise zip's legacy code page, which agrees with Latin-1 on ASCII names.
    const member = new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(rawName);
    const fail = (what: string): never => {
      throw new Error(`${name}: ${member}: ${what}`);
    };
    let usize = u32(q + 24);
    let csize = u32(q + 20);
    let local = u32(q + 42);
    // zip64: the fields stored as 0xFFFFFFFF follow, in this order, in extra field 0x0001.
    for (let e = q + CENTRAL_SIZE + nameLen, end = e + extraLen; e + 4 <= end; e += 4 + u16(e + 2)) {
      if (u16(e) !== ZIP64_EXTRA) continue;
      let f = e + 4;
      const fieldEnd = Math.min(e + 4 + u16(e + 2), end);
      const take = (what: string): number => {
        if (f + 8 > fieldEnd) fail(`zip64 extra field too short for the ${what}`);
        const v = u64(f, `${member}: ${what}`);
        f += 8;
        return v;
      };
      if (usize === 0xffffffff) usize = take('uncompressed size');
      if (csize === 0xffffffff) csize = take('compressed size');
      if (local === 0xffffffff) local = take('local header offset');
    }
    const method = u16(q + 10);
    if (flags & 1) fail('encrypted members are not supported');
    if (method !== STORED && method !== DEFLATED) fail(`compression method ${method} is not supported (only 0, stored, and 8, deflate)`);
    if (seen.has(member)) fail('appears twice in the archive');
    seen.add(member);
    if (usize > limits.maxArrayBytes) {
      fail(`declares ${usize} bytes uncompressed, over the cap of ${limits.maxArrayBytes} bytes per array (raise it with the maxArrayBytes option)`);
    }
    total += usize;
    if (total > limits.maxTotalBytes) {
      fail(`brings the archive's declared uncompressed size to ${total} bytes, over the cap of ${limits.maxTotalBytes} bytes (raise it with the maxTotalBytes option)`);
    }
    if (method === STORED && csize !== usize) fail(`stored member declares ${csize} bytes stored but ${usize} uncompressed: the file is damaged`);
    entries.push({ name: member, rawName, method, crc: u32(q + 16), csize, usize, local });
    q = next;
  }

  // Only now, with every declaration within the caps, is any member's data touched.
  return entries.map((en) => {
    const fail = (what: string): never => {
      throw new Error(`${name}: ${en.name}: ${what}`);
    };
    const p = en.local;
    if (p + LOCAL_SIZE > cdOffset || u32(p) !== SIG.local) fail(`no local header at offset ${p}: the file is damaged`);
    const nameLen = u16(p + 26);
    const start = p + LOCAL_SIZE + nameLen + u16(p + 28);
    if (start + en.csize > cdOffset) {
      fail(`its ${en.csize} bytes of data at offset ${start} run past the central directory (offset ${cdOffset}): the file is truncated or damaged`);
    }
    const rawName = bytes.subarray(p + LOCAL_SIZE, p + LOCAL_SIZE + nameLen);
    if (rawName.length !== en.rawName.length || rawName.some((b, k) => b !== en.rawName[k])) {
      fail('the local header names it differently: the file is damaged');
    }
    const stored = bytes.subarray(start, start + en.csize);
    const data = en.method === STORED ? stored : inflateBounded(stored, en.usize, fail);
    if (data.length !== en.usize) fail(`inflates to ${data.length} bytes, but the central directory says ${en.usize}: the file is damaged`);
    const got = crc32(data) >>> 0;
    if (got !== en.crc) fail(`CRC-32 mismatch (the central directory says ${hex(en.crc)}, the data gives ${hex(got)}): the file is damaged`);
    return { name: en.name, data };
  });
}

/** Inflates raw deflate data, stopping with an error as soon as it passes `size` bytes. */
function inflateBounded(data: Uint8Array, size: number, fail: (what: string) => never): Uint8Array {
  try {
    // maxOutputLength must be ≥ 1; a longer result is caught by the caller's length check.
    return inflateRawSync(data, { maxOutputLength: Math.max(1, size) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') return fail(`inflates to more than the ${size} bytes it declares: the file is damaged or hostile`);
    return fail(`deflate data is damaged: ${err.message}`);
  }
}
