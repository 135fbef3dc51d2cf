/**
 * Hostile and damaged files: each is refused with an error naming the file, the member or array
 * and the numbers, quickly and without allocating what the file declares.
 */
import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as zc, deflateRawSync, gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { readIdxFile, parseIdx } from '../lib/data/idx.ts';
import { MAX_ARRAY_BYTES, MAX_TOTAL_BYTES } from '../lib/data/limits.ts';
import { encodeNpy, parseNpy, type NpyArray } from '../lib/data/npy.ts';
import { encodeNpz, readNpz } from '../lib/data/npz.ts';
import { loadBookNetwork } from '../lib/data/book-weights.ts';

const BOOK = fileURLToPath(new URL('../../shared/fixtures/dlfs/simple_convnet_2016.npz', import.meta.url));
const MiB = 2 ** 20;

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
// Offset of the central directory of an archive without a comment (as zipSync and NumPy write them).
const cdOffset = (zip: Uint8Array): number => view(zip).getUint32(zip.length - 22 + 16, true);
const u64 = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  view(b).setBigUint64(0, BigInt(n), true);
  return b;
};
const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

// Hand-built .npy bytes with an arbitrary header (v1 or v2 length field).
const npy = (header: string, payload: Uint8Array = new Uint8Array(0), major = 1): Uint8Array => {
  const pre = major === 1 ? 10 : 12;
  const text = new TextEncoder().encode(header + '\n');
  const out = new Uint8Array(pre + text.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  if (major === 1) view(out).setUint16(8, text.length, true);
  else view(out).setUint32(8, text.length, true);
  out.set(text, pre);
  out.set(payload, pre + text.length);
  return out;
};

/**
 * Expects `f` to throw `pattern`, within 2 s and without the process growing by 200 MB:
 * generous bounds, but a reader that allocated what the file declares would break them.
 */
const refusesCheaply = (f: () => unknown, pattern: RegExp): void => {
  const before = process.memoryUsage();
  const started = performance.now();
  expect(f).to.throw(pattern);
  const ms = performance.now() - started;
  const after = process.memoryUsage();
  expect(ms, 'milliseconds to refuse').to.be.below(2000);
  expect(after.rss - before.rss, 'RSS growth').to.be.below(200 * MiB);
  expect(after.arrayBuffers - before.arrayBuffers, 'ArrayBuffer growth').to.be.below(200 * MiB);
};

/**
 * A raw deflate stream of `copies` × 16 MiB of zeros, about 16 KiB per copy: sync-flushed
 * copies of one compressed chunk, then an empty final block.
 */
const deflateBomb = (copies: number): Uint8Array => {
  const chunk = deflateRawSync(new Uint8Array(16 * MiB), { level: 9, finishFlush: zc.Z_SYNC_FLUSH });
  return concat([...Array.from({ length: copies }, () => chunk), Uint8Array.of(0x03, 0x00)]);
};

describe('hostile and damaged files', function () {
  this.timeout(20_000);
  const book = new Uint8Array(readFileSync(BOOK));
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'tenfold-hostile-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('damaged .npz', () => {
    it("refuses the book's file with 64 bytes XORed inside W2.npy (CRC-32 mismatch), naming file and member", () => {
      const flipped = book.slice();
      const mid = flipped.length >> 1;
      for (let i = mid; i < mid + 64; i++) flipped[i] ^= 0xff;
      const path = join(dir, 'flipped.npz');
      writeFileSync(path, flipped);
      const crc = /flipped\.npz: W2\.npy: CRC-32 mismatch \(the central directory says 0x3958ca70, the data gives 0x[0-9a-f]{8}\): the file is damaged/;
      expect(() => readNpz(path)).to.throw(crc);
      expect(() => loadBookNetwork('simple-convnet', path)).to.throw(crc);
    });

    it('refuses the book file cut inside a member, inside the central directory and inside the end record', () => {
      const cd = cdOffset(book);
      for (const cut of [100, 5000, book.length >> 1, cd - 1, cd + 10, cd + 200, book.length - 30, book.length - 5]) {
        refusesCheaply(
          () => readNpz(book.subarray(0, cut), 'cut.npz'),
          new RegExp(`^cut\\.npz: not a valid \\.npz \\(zip\\) archive: no end-of-central-directory record in its ${cut} bytes: the file is truncated`),
        );
      }
    });

    it('refuses the book file with a stretch cut out of the middle (directory no longer where the end record says)', () => {
      const cd = cdOffset(book);
      const holed = concat([book.subarray(0, 100_000), book.subarray(cd)]);
      expect(() => readNpz(holed, 'holed.npz')).to.throw(/^holed\.npz: not a valid \.npz \(zip\) archive: the central directory \(offset \d+, \d+ bytes\) does not end where the end record starts/);
    });

    it('refuses a member whose local header offset points at garbage, and a stored member whose sizes disagree', () => {
      const zip = zipSync({ 'W1.npy': [encodeNpy({ dtype: 'float32', shape: [2], data: new Float32Array(2) }), { level: 0 }] });
      const badOffset = zip.slice();
      view(badOffset).setUint32(cdOffset(zip) + 42, 7, true);
      expect(() => readNpz(badOffset, 'off.npz')).to.throw(/^off\.npz: W1\.npy: no local header at offset 7: the file is damaged/);
      const badSize = zip.slice();
      view(badSize).setUint32(cdOffset(zip) + 24, 12345, true);
      expect(() => readNpz(badSize, 'size.npz')).to.throw(/^size\.npz: W1\.npy: stored member declares \d+ bytes stored but 12345 uncompressed/);
    });

    it("refuses two members that are the same array ('W1' and 'W1.npy')", () => {
      const a = encodeNpy({ dtype: 'float32', shape: [1], data: new Float32Array(1) });
      expect(() => readNpz(zipSync({ 'W1.npy': a, W1: a }), 'dup.npz')).to.throw("dup.npz: members 'W1.npy' and 'W1' are both array 'W1'");
    });
  });

  describe('wrong contents for the network', () => {
    const real = (): Map<string, NpyArray> => new Map(readNpz(book, 'book'));

    it('refuses an archive lacking W3', () => {
      const m = real();
      m.delete('W3');
      expect(() => loadBookNetwork('simple-convnet', encodeNpz(m), 'no-w3.npz'))
        .to.throw(/^no-w3\.npz: array 'W3' is missing \(it should fill affine2\/W, shape \[100,10\]\)/);
    });

    it('refuses W2 stored transposed', () => {
      const m = real();
      const W2 = m.get('W2')!;
      m.set('W2', { ...W2, shape: [100, 4320] });
      expect(() => loadBookNetwork('simple-convnet', encodeNpz(m), 'transposed.npz'))
        .to.throw("transposed.npz: array 'W2' has shape [100,4320] but affine1/W needs [4320,100]");
    });

    it('refuses NaN and ±Infinity weights, naming the array, the first bad index and its value', () => {
      for (const [bad, shown] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
        const m = real();
        const data = Float32Array.from(m.get('W2')!.data);
        data[1234] = bad;
        data[2000] = bad; // only the first is named
        m.set('W2', { dtype: 'float32', shape: [4320, 100], data });
        expect(() => loadBookNetwork('simple-convnet', encodeNpz(m), 'bad.npz')).to.throw(
          `bad.npz: array 'W2' holds ${shown} at index 1234 (element [12,34] of shape [4320,100]); weights must be finite`,
        );
      }
    });

    it('refuses int64 weights, naming the array and its dtype', () => {
      const m = real();
      const i8 = npy("{'descr': '<i8', 'fortran_order': False, 'shape': (30,), }", new Uint8Array(240));
      const members: Record<string, Uint8Array> = {};
      for (const [k, a] of m) members[`${k}.npy`] = k === 'b1' ? i8 : encodeNpy(a);
      expect(() => loadBookNetwork('simple-convnet', zipSync(members), 'int.npz'))
        .to.throw("int.npz: array 'b1' has dtype '<i8'; weights must be float32 ('<f4') or float64 ('<f8')");
    });

    it('accepts the book file under an upper-case .NPZ name', () => {
      const path = join(dir, 'SIMPLE_CONVNET.NPZ');
      copyFileSync(BOOK, path);
      expect([...readNpz(path).keys()].sort()).to.deep.equal(['W1', 'W2', 'W3', 'b1', 'b2', 'b3']);
      expect(loadBookNetwork('simple-convnet', path).variables.params).to.have.keys('conv1', 'affine1', 'affine2');
    });
  });

  describe('zip bombs', () => {
    const tiny = encodeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(3) });

    it('refuses a member whose central directory declares 100 GB, before inflating it', () => {
      const zip = zipSync({ 'W1.npy': [tiny, { extra: { 1: u64(100e9) } }] });
      view(zip).setUint32(cdOffset(zip) + 24, 0xffffffff, true); // "see the zip64 extra field"
      refusesCheaply(() => readNpz(zip, 'bomb.npz'), new RegExp(
        `^bomb\\.npz: W1\\.npy: declares 100000000000 bytes uncompressed, over the cap of ${MAX_ARRAY_BYTES} bytes per array`,
      ));
    });

    it('refuses members whose declared sizes add up past the archive cap', () => {
      const zip = zipSync({ 'a.npy': tiny, 'b.npy': tiny, 'c.npy': tiny });
      for (let i = 0, q = cdOffset(zip); i < 3; i++) {
        view(zip).setUint32(q + 24, 900 * MiB, true);
        q += 46 + view(zip).getUint16(q + 28, true) + view(zip).getUint16(q + 30, true);
      }
      refusesCheaply(() => readNpz(zip, 'sum.npz'), new RegExp(
        `^sum\\.npz: c\\.npy: brings the archive's declared uncompressed size to ${2700 * MiB} bytes, over the cap of ${MAX_TOTAL_BYTES} bytes`,
      ));
    });

    it('refuses a deflated member that honestly declares more than a (lowered) cap', () => {
      const zip = zipSync({ 'W1.npy': new Uint8Array(16 * MiB) }, { level: 9 });
      expect(zip.length).to.be.below(MiB / 4);
      refusesCheaply(() => readNpz(zip, 'big.npz', { maxArrayBytes: MiB }), new RegExp(
        `^big\\.npz: W1\\.npy: declares ${16 * MiB} bytes uncompressed, over the cap of ${MiB} bytes per array \\(raise it with the maxArrayBytes option\\)`,
      ));
    });

    // 2 GiB of zeros in 2 MB of deflate; the archive says the member is 1000 bytes.
    const bomb = deflateBomb(128);

    it('stops inflating a member that expands far past its declared size', () => {
      const zip = zipSync({ 'W1.npy': [bomb, { level: 0 }] });
      const cd = cdOffset(zip);
      view(zip).setUint16(8, 8, true); // local header: deflated
      view(zip).setUint16(cd + 10, 8, true); // central directory: deflated…
      view(zip).setUint32(cd + 24, 1000, true); // …to 1000 bytes
      refusesCheaply(() => readNpz(zip, 'liar.npz'), /^liar\.npz: W1\.npy: inflates to more than the 1000 bytes it declares/);
      // Declaring the truth (2 GiB) is refused from the declaration alone.
      view(zip).setUint32(cd + 24, 2 ** 31, true);
      refusesCheaply(() => readNpz(zip, 'honest.npz'), /^honest\.npz: W1\.npy: declares 2147483648 bytes uncompressed, over the cap/);
    });

    it('refuses a gzipped IDX file that expands past the cap', () => {
      const gz = (isize: number): Uint8Array => {
        const trailer = new Uint8Array(8);
        view(trailer).setUint32(4, isize, true);
        return concat([gzipSync(new Uint8Array(0)).subarray(0, 10), bomb, trailer]);
      };
      const honest = join(dir, 'honest-idx3-ubyte.gz');
      writeFileSync(honest, gz(2 ** 31)); // ISIZE: 2 GiB mod 2^32
      refusesCheaply(() => readIdxFile(honest, 3), new RegExp(
        `^${honest}: the gzip trailer says it decompresses to at least 2147483648 bytes, over the cap of ${MAX_ARRAY_BYTES} bytes`,
      ));
      const liar = join(dir, 'liar-idx3-ubyte.gz');
      writeFileSync(liar, gz(100));
      // The 2 MB file is within a 4 MiB cap; its contents are not.
      refusesCheaply(() => readIdxFile(liar, 3, { maxArrayBytes: 4 * MiB }), new RegExp(
        `^${liar}: it decompresses to more bytes, over the cap of ${4 * MiB} bytes \\(raise it with the maxArrayBytes option\\)`,
      ));
    });
  });

  describe('hostile headers', () => {
    it('refuses an .npy header declaring shape (1e12, 1e12) without allocating', () => {
      const huge = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }", new Uint8Array(16));
      const msg = /^h\.npy: truncated data: shape \(1000000000000, 1000000000000\) <f4 needs 4000000000000000000000000 bytes, found 16$/;
      refusesCheaply(() => parseNpy(huge, 'h.npy'), msg);
      refusesCheaply(() => readNpz(zipSync({ 'W1.npy': huge }), 'h.npz'), /^h\.npz: array 'W1': truncated data: shape \(1000000000000, 1000000000000\)/);
    });

    it('refuses dims past 2^53, too many dims, deep nesting and an oversized header length', () => {
      expect(() => parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (9007199254740993,), }"), 'a.npy'))
        .to.throw("field 'shape.0' must be NonNegInt");
      const many = `{'descr': '<f4', 'fortran_order': False, 'shape': (${Array(300_000).fill(1).join(', ')}), }`;
      refusesCheaply(() => parseNpy(npy(many, new Uint8Array(4), 2), 'many.npy'), /^many\.npy: shape has 300000 dimensions, more than the 64 supported/);
      refusesCheaply(() => parseNpy(npy('('.repeat(500_000), undefined, 2), 'deep.npy'), /^deep\.npy: invalid \.npy header: nested deeper than 16 levels/);
      const long = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", undefined, 2);
      view(long).setUint32(8, 0xffffffff, true);
      refusesCheaply(() => parseNpy(long, 'long.npy'), /^long\.npy: header of 4294967295 bytes is over the limit of 1048576 bytes/);
    });

    it('refuses an IDX header claiming 2^31 images in a 16-byte file', () => {
      const bytes = new Uint8Array(16);
      const v = view(bytes);
      v.setUint32(0, 0x00000803, false);
      v.setUint32(4, 2 ** 31, false);
      v.setUint32(8, 28, false);
      v.setUint32(12, 28, false);
      const want = 16n + 2n ** 31n * 784n;
      refusesCheaply(() => parseIdx(bytes, 'train-images-idx3-ubyte', 3),
        new RegExp(`^train-images-idx3-ubyte: truncated: expected ${want} bytes, found 16 \\(the header says dims \\[2147483648, 28, 28\\]\\)`));
      const path = join(dir, 'huge-idx3-ubyte');
      writeFileSync(path, bytes);
      refusesCheaply(() => readIdxFile(path, 3), /huge-idx3-ubyte: truncated: expected 1683627180048 bytes, found 16/);
    });

    it('refuses an IDX header of 255 dims of 2^32 - 1 (a count no float can hold)', () => {
      const bytes = new Uint8Array(4 + 4 * 255).fill(0xff);
      bytes.set([0, 0, 8, 255]);
      refusesCheaply(() => parseIdx(bytes, 'wide.idx'), /^wide\.idx: truncated: expected \d{2000,} bytes, found 1024/);
    });
  });
});
