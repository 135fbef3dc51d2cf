import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { encodeNpy, parseNpy, readNpy, writeNpy, type NpyArray } from '../lib/data/npy.ts';
import { encodeNpz, readNpz, writeNpz } from '../lib/data/npz.ts';
import { MAX_ARRAY_BYTES, resolveLimits } from '../lib/data/limits.ts';

const FIXTURES = fileURLToPath(new URL('../../shared/fixtures/dlfs', import.meta.url));

// Hand-build .npy bytes with an arbitrary header, version and payload.
function npy(header: string, payload: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const text = new TextEncoder().encode(header + '\n');
  const out = new Uint8Array(pre + text.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, text.length, true);
  else v.setUint32(8, text.length, true);
  out.set(text, pre);
  out.set(payload, pre + text.length);
  return out;
}
const f4 = (...xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);

describe('data/npy + data/npz', () => {
  describe('real fixtures', () => {
    const shapesOf = (m: ReadonlyMap<string, NpyArray>): Record<string, readonly number[]> =>
      Object.fromEntries([...m].map(([k, a]) => [k, a.shape]));

    it('reads simple_convnet_2016.npz', () => {
      const m = readNpz(join(FIXTURES, 'simple_convnet_2016.npz'));
      expect(shapesOf(m)).to.deep.equal({
        W1: [30, 1, 5, 5],
        b1: [30],
        W2: [4320, 100],
        b2: [100],
        W3: [100, 10],
        b3: [10],
      });
      for (const a of m.values()) {
        expect(a.dtype).to.equal('float32');
        expect(a.data).to.be.instanceOf(Float32Array);
        expect(a.data.length).to.equal(a.shape.reduce((x, y) => x * y, 1));
        expect(a.data.every(Number.isFinite)).to.equal(true);
      }
      expect(m.get('W2')!.data.byteOffset).to.equal(0); // a fresh, aligned copy
    });

    it('reads deep_convnet_2016.npz', () => {
      const m = readNpz(join(FIXTURES, 'deep_convnet_2016.npz'));
      const want: Record<string, number[]> = {
        W1: [16, 1, 3, 3], W2: [16, 16, 3, 3], W3: [32, 16, 3, 3], W4: [32, 32, 3, 3],
        W5: [64, 32, 3, 3], W6: [64, 64, 3, 3], W7: [1024, 50], W8: [50, 10],
        b1: [16], b2: [16], b3: [32], b4: [32], b5: [64], b6: [64], b7: [50], b8: [10],
      };
      expect(shapesOf(m)).to.deep.equal(want);
      for (const a of m.values()) expect(a.dtype).to.equal('float32');
    });

    it("records each array's stored dtype as descr", () => {
      const m = readNpz(join(FIXTURES, 'simple_convnet_2016.npz'));
      for (const a of m.values()) expect(a.descr).to.equal('<f4');
    });
  });

  describe('zip variants', () => {
    const W: NpyArray = { dtype: 'float32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
    const cd = (zip: Uint8Array): number => new DataView(zip.buffer).getUint32(zip.length - 22 + 16, true);

    it('reads deflated members (np.savez_compressed)', () => {
      const zip = zipSync({ 'W.npy': encodeNpy(W) }, { level: 6 });
      expect(new DataView(zip.buffer).getUint16(cd(zip) + 10, true)).to.equal(8);
      expect(Array.from(readNpz(zip).get('W')!.data)).to.deep.equal([1, 2, 3, 4]);
    });

    it('reads zip64 sizes from the central directory', () => {
      const bytes = encodeNpy(W);
      const extra = new Uint8Array(16);
      new DataView(extra.buffer).setBigUint64(0, BigInt(bytes.length), true);
      new DataView(extra.buffer).setBigUint64(8, BigInt(bytes.length), true);
      const zip = zipSync({ 'W.npy': [bytes, { level: 0, extra: { 1: extra } }] });
      const v = new DataView(zip.buffer);
      v.setUint32(cd(zip) + 20, 0xffffffff, true);
      v.setUint32(cd(zip) + 24, 0xffffffff, true);
      expect(Array.from(readNpz(zip).get('W')!.data)).to.deep.equal([1, 2, 3, 4]);
    });

    it('reads an empty archive, and refuses non-zip bytes naming the file', () => {
      expect(readNpz(zipSync({})).size).to.equal(0);
      expect(() => readNpz(new TextEncoder().encode('hello'), 'x.npz')).to.throw(/^x\.npz: not a valid \.npz \(zip\) archive: no end-of-central-directory record in its 5 bytes/);
    });

    it('refuses unsupported compression methods and encrypted members', () => {
      const zip = zipSync({ 'W.npy': [encodeNpy(W), { level: 0 }] });
      const lzma = zip.slice();
      new DataView(lzma.buffer).setUint16(cd(zip) + 10, 14, true);
      expect(() => readNpz(lzma, 'l.npz')).to.throw('l.npz: W.npy: compression method 14 is not supported');
      const enc = zip.slice();
      new DataView(enc.buffer).setUint16(cd(zip) + 8, 1, true);
      expect(() => readNpz(enc, 'e.npz')).to.throw('e.npz: W.npy: encrypted members are not supported');
    });
  });

  describe('round trip', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'tenfold-npz-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    const arrays: Record<string, NpyArray> = {
      W: { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-8, -0]) },
      b: { dtype: 'float64', shape: [5], data: new Float64Array([Math.PI, -1, 0, 1e300, NaN]) },
      s: { dtype: 'float64', shape: [], data: new Float64Array([42]) },
      e: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
    };

    it('writes and reads back an .npz file', () => {
      const path = join(dir, 'rt.npz');
      writeNpz(path, arrays);
      const back = readNpz(path);
      expect([...back.keys()]).to.deep.equal(['W', 'b', 's', 'e']);
      for (const [k, a] of Object.entries(arrays)) {
        const r = back.get(k)!;
        expect(r.dtype).to.equal(a.dtype);
        expect(r.shape).to.deep.equal(a.shape);
        expect(Array.from(r.data)).to.deep.equal(Array.from(a.data));
      }
      // Writing is deterministic, and a Map works as input too.
      expect(encodeNpz(new Map(Object.entries(arrays)))).to.deep.equal(new Uint8Array(readFileSync(path)));
    });

    it('re-encodes a real fixture to an equivalent archive', () => {
      const m = readNpz(join(FIXTURES, 'simple_convnet_2016.npz'));
      const back = readNpz(encodeNpz(m));
      expect(Array.from(back.get('W1')!.data)).to.deep.equal(Array.from(m.get('W1')!.data));
    });

    it('writes numpy-style headers: padded to 64 bytes, "(5,)" and "()" shapes', () => {
      const bytes = encodeNpy(arrays.b);
      const headerLen = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + headerLen) % 64).to.equal(0);
      const text = new TextDecoder().decode(bytes.subarray(10, 10 + headerLen));
      expect(text).to.match(/^\{'descr': '<f8', 'fortran_order': False, 'shape': \(5,\), \} *\n$/);
      expect(new TextDecoder().decode(encodeNpy(arrays.s).subarray(10, 80))).to.contain("'shape': (), }");
    });

    it('writes and reads a single .npy file', () => {
      const path = join(dir, 'w.npy');
      writeNpy(path, arrays.W);
      expect(Array.from(readNpy(path).data)).to.deep.equal(Array.from(arrays.W.data));
    });

    it('refuses to write data that does not match its shape', () => {
      const bad: NpyArray = { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) };
      expect(() => encodeNpz({ bad })).to.throw("array 'bad': shape (2, 2) has 4 elements but data has 3");
    });
  });

  describe('header parsing', () => {
    it('reads v1, v2 and v3 headers, double quotes and Python 2 longs', () => {
      const h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
      for (const major of [1, 2, 3]) expect(parseNpy(npy(h, f4(1, 2), major), 'v').shape).to.deep.equal([2]);
      const py2 = npy('{"descr": "<f4", "fortran_order": False, "shape": (1L, 2L)}', f4(1, 2));
      expect(parseNpy(py2, 'py2').shape).to.deep.equal([1, 2]);
    });

    it('widens integer and byte dtypes to float64', () => {
      const i4 = new Uint8Array(new Int32Array([-3, 7]).buffer);
      const r = parseNpy(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", i4), 'i4');
      expect(r.dtype).to.equal('float64');
      expect(Array.from(r.data)).to.deep.equal([-3, 7]);
      const u1 = parseNpy(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", new Uint8Array([0, 128, 255])), 'u1');
      expect(Array.from(u1.data)).to.deep.equal([0, 128, 255]);
      expect([r.descr, u1.descr]).to.deep.equal(['<i4', '|u1']);
    });

    it('widens int64 exactly, refusing values beyond 2^53', () => {
      const h = "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }";
      const max = BigInt(Number.MAX_SAFE_INTEGER);
      const ok = parseNpy(npy(h, new Uint8Array(new BigInt64Array([-max, max]).buffer)), 'i8');
      expect(Array.from(ok.data)).to.deep.equal([-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
      const big = npy(h, new Uint8Array(new BigInt64Array([0n, max + 2n]).buffer));
      expect(() => parseNpy(big, 'big.npy')).to.throw('big.npy: int64 value 9007199254740993 at index 1 is not exactly representable as float64');
    });
  });

  describe('refusals', () => {
    it('refuses a truncated .npz, naming the file', () => {
      const whole = readFileSync(join(FIXTURES, 'simple_convnet_2016.npz'));
      const cut = whole.subarray(0, whole.length >> 1);
      expect(() => readNpz(cut, 'simple_convnet_2016.npz')).to.throw(/^simple_convnet_2016\.npz: not a valid \.npz \(zip\) archive/);
    });

    it('refuses a bad .npy magic, naming the file and the array', () => {
      const zip = zipSync({ 'W1.npy': new TextEncoder().encode('not numpy at all') });
      expect(() => readNpz(zip, 'model.npz')).to.throw("model.npz: array 'W1': bad magic: not a .npy file");
    });

    it('refuses fortran order', () => {
      const b = npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2), }", f4(1, 2));
      expect(() => parseNpy(b, 'f.npy')).to.throw('f.npy: fortran_order=True (column-major) arrays are not supported');
    });

    it('refuses unsupported dtypes', () => {
      const c8 = npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8));
      expect(() => parseNpy(c8, 'c.npy')).to.throw("c.npy: unsupported dtype '<c8'");
      const be = npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4));
      expect(() => parseNpy(be, 'be.npy')).to.throw("be.npy: unsupported dtype '>f4'");
      const rec = npy("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4));
      expect(() => parseNpy(rec, 'rec.npy')).to.throw('rec.npy: invalid .npy header: structured dtype');
    });

    it('names the offending header field', () => {
      const noShape = npy("{'descr': '<f4', 'fortran_order': False}");
      expect(() => parseNpy(noShape, 'a.npy')).to.throw("a.npy: invalid .npy header: field 'shape' must be Array<NonNegInt>, got missing");
      const badDim = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }");
      expect(() => parseNpy(badDim, 'a.npy')).to.throw("field 'shape.1' must be NonNegInt, got -1");
      const badFlag = npy("{'descr': '<f4', 'fortran_order': 'no', 'shape': (), }");
      expect(() => parseNpy(badFlag, 'a.npy')).to.throw(`field 'fortran_order' must be boolean, got "no"`);
      const extra = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}");
      expect(() => parseNpy(extra, 'a.npy')).to.throw("unexpected key 'x'");
      expect(() => parseNpy(npy("{'descr': '<f4'"), 'a.npy')).to.throw('a.npy: invalid .npy header');
    });

    it('refuses truncated or oversized data', () => {
      const h = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
      expect(() => parseNpy(npy(h, f4(1, 2)), 'a.npy')).to.throw('a.npy: truncated data: shape (3) <f4 needs 12 bytes, found 8');
      expect(() => parseNpy(npy(h, f4(1, 2, 3, 4)), 'a.npy')).to.throw('a.npy: too long');
      expect(() => parseNpy(npy(h).subarray(0, 20), 'a.npy')).to.throw('a.npy: truncated header');
    });

    it('caps the data of one array at maxArrayBytes (1 GiB unless raised)', () => {
      const h = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
      expect(() => parseNpy(npy(h, f4(1, 2, 3)), 'a.npy', { maxArrayBytes: 8 }))
        .to.throw('a.npy: shape (3) <f4 is 12 bytes, over the cap of 8 bytes (raise it with the maxArrayBytes option)');
      expect(parseNpy(npy(h, f4(1, 2, 3)), 'a.npy', { maxArrayBytes: 12 }).shape).to.deep.equal([3]);
      expect(resolveLimits().maxArrayBytes).to.equal(MAX_ARRAY_BYTES).and.to.equal(2 ** 30);
      expect(() => resolveLimits({ maxTotalBytes: -1 })).to.throw('read limits: maxTotalBytes must be a non-negative integer, got -1');
    });

    it('refuses a file larger than maxTotalBytes before reading it', () => {
      const dir = mkdtempSync(join(tmpdir(), 'tenfold-npy-'));
      try {
        const path = join(dir, 'big.npy');
        writeNpy(path, { dtype: 'float32', shape: [100], data: new Float32Array(100) });
        expect(() => readNpy(path, path, { maxTotalBytes: 100 })).to.throw(`${path}: the file is 528 bytes, over the cap of 100 bytes (raise it with the maxTotalBytes option)`);
        const npzPath = join(dir, 'big.npz');
        writeNpz(npzPath, { W: { dtype: 'float32', shape: [100], data: new Float32Array(100) } });
        expect(() => readNpz(npzPath, npzPath, { maxTotalBytes: 100 })).to.throw(`${npzPath}: the file is`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
