import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { gunzipCapped, parseIdx, readIdxFile } from '../lib/data/idx.ts';
import { loadFashionMnist } from '../lib/data/fashion-mnist.ts';
import { loadIdxSplit } from '../lib/data/mnist.ts';

// Build an IDX byte buffer: magic 0x0000TTNN, big-endian dims, then `data`.
function idx(dims: number[], data: number[], type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

describe('data/idx', () => {
  it('parses a ubyte image file (3-D) and a label file (1-D)', () => {
    const img = parseIdx(idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]), 'img', 3);
    expect(img.dims).to.deep.equal([2, 2, 3]);
    expect([...img.data]).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    const lab = parseIdx(idx([3], [5, 0, 4]), 'lab', 1);
    expect(lab.dims).to.deep.equal([3]);
    expect([...lab.data]).to.deep.equal([5, 0, 4]);
  });

  it('accepts any rank when no rank is expected', () => {
    expect(parseIdx(idx([2, 1], [7, 8]), 'x').dims).to.deep.equal([2, 1]);
  });

  it('works on a view into a larger buffer', () => {
    const inner = idx([2], [9, 8]);
    const big = new Uint8Array(inner.length + 3);
    big.set(inner, 3);
    expect([...parseIdx(big.subarray(3), 'x', 1).data]).to.deep.equal([9, 8]);
  });

  it('refuses a truncated file, naming the file and the sizes', () => {
    const bytes = idx([10, 28, 28], new Array(7840).fill(0)).subarray(0, 1000);
    expect(() => parseIdx(bytes, 'train-images-idx3-ubyte', 3)).to.throw(
      'train-images-idx3-ubyte: truncated: expected 7856 bytes, found 1000',
    );
    expect(() => parseIdx(new Uint8Array(2), 'f', 1)).to.throw(/^f: truncated/);
    expect(() => parseIdx(idx([3, 4, 5], []).subarray(0, 9), 'f', 3)).to.throw(/^f: truncated: header needs 16 bytes/);
  });

  it('refuses a file that is too long', () => {
    const bytes = idx([2], [1, 2, 3]);
    expect(() => parseIdx(bytes, 'labels.idx', 1)).to.throw('labels.idx: too long: expected 10 bytes for dims [2], found 11');
  });

  it('refuses a bad magic, naming what was expected', () => {
    const bytes = idx([1], [0]);
    new DataView(bytes.buffer).setUint32(0, 0x12345678, false);
    expect(() => parseIdx(bytes, 'train-images-idx3-ubyte', 3)).to.throw(
      'train-images-idx3-ubyte: bad magic 0x12345678, expected 0x00000803 (ubyte images)',
    );
    expect(() => parseIdx(bytes, 'f')).to.throw(/^f: bad magic 0x12345678/);
  });

  it('refuses the wrong number of dimensions', () => {
    expect(() => parseIdx(idx([3], [1, 2, 3]), 'train-images-idx3-ubyte', 3)).to.throw(
      'train-images-idx3-ubyte: wrong number of dimensions: magic 0x00000801 says 1, expected 3 (ubyte images)',
    );
  });

  it('refuses element types other than ubyte', () => {
    expect(() => parseIdx(idx([1], [0, 0, 0, 0], 0x0d), 'floats.idx')).to.throw(
      'floats.idx: unsupported element type 0x0d (float32); only 0x08 (ubyte) is supported',
    );
  });

  describe('readIdxFile', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'tenfold-idx-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('reads plain and gzipped files', () => {
      const bytes = idx([2, 1, 1], [3, 4]);
      writeFileSync(join(dir, 'a-idx3-ubyte'), bytes);
      writeFileSync(join(dir, 'a-idx3-ubyte.gz'), gzipSync(bytes));
      for (const f of ['a-idx3-ubyte', 'a-idx3-ubyte.gz']) {
        const r = readIdxFile(join(dir, f), 3);
        expect(r.dims).to.deep.equal([2, 1, 1]);
        expect([...r.data]).to.deep.equal([3, 4]);
      }
    });

    it('gunzips a .GZ (upper-case) file too', () => {
      const path = join(dir, 'b-idx1-ubyte.GZ');
      writeFileSync(path, gzipSync(idx([2], [1, 2])));
      expect([...readIdxFile(path, 1).data]).to.deep.equal([1, 2]);
    });

    it('refuses a file over maxArrayBytes before reading it, and gzip output past it', () => {
      const path = join(dir, 'c-idx1-ubyte');
      writeFileSync(path, idx([100], new Array(100).fill(1)));
      expect(() => readIdxFile(path, 1, { maxArrayBytes: 50 }))
        .to.throw(`${path}: the file is 108 bytes, over the cap of 50 bytes (raise it with the maxArrayBytes option)`);
      expect(readIdxFile(path, 1, { maxArrayBytes: 108 }).dims).to.deep.equal([100]);
      const gz = gzipSync(idx([100], new Array(100).fill(1)));
      expect(() => gunzipCapped(gz, 'c.gz', 107)).to.throw('c.gz: the gzip trailer says it decompresses to at least 108 bytes, over the cap of 107 bytes');
      // Two gzip members: the last trailer says 0 bytes, so only the bounded inflation can tell.
      const twoMembers = new Uint8Array([...gz, ...gzipSync(new Uint8Array(0))]);
      expect(() => gunzipCapped(twoMembers, 'c.gz', 107)).to.throw(/^c\.gz: it decompresses to (more|108) bytes, over the cap of 107 bytes/);
      expect(gunzipCapped(gz, 'c.gz', 108).length).to.equal(108);
    });

    it('passes the caps through the MNIST-family loaders', () => {
      const files = { trainImages: 'ti', trainLabels: 'tl', testImages: 'si', testLabels: 'sl' };
      const images = idx([1, 28, 28], new Array(784).fill(0));
      for (const f of ['ti', 'si']) writeFileSync(join(dir, f), images);
      for (const f of ['tl', 'sl']) writeFileSync(join(dir, f), idx([1], [3]));
      expect(() => loadIdxSplit('capped', dir, files, 10, true, { maxArrayBytes: 100 })).to.throw(`${join(dir, 'ti')}: the file is 800 bytes, over the cap of 100 bytes`);
      expect(loadIdxSplit('capped', dir, files, 10, true, { maxArrayBytes: 800 }).train.count).to.equal(1);
      const fashion = mkdtempSync(join(tmpdir(), 'tenfold-fashion-'));
      try {
        for (const [f, b] of [['train-images-idx3-ubyte.gz', images], ['t10k-images-idx3-ubyte.gz', images],
          ['train-labels-idx1-ubyte.gz', idx([1], [3])], ['t10k-labels-idx1-ubyte.gz', idx([1], [3])]] as const) {
          writeFileSync(join(fashion, f), gzipSync(b));
        }
        expect(() => loadFashionMnist({ dir: fashion, limits: { maxArrayBytes: 500 } }))
          .to.throw(`${join(fashion, 'train-images-idx3-ubyte.gz')}: the gzip trailer says it decompresses to at least 800 bytes, over the cap of 500 bytes`);
      } finally {
        rmSync(fashion, { recursive: true, force: true });
      }
    });

    it('names the path when the file is missing, not gzip, or malformed', () => {
      const missing = join(dir, 'missing');
      expect(() => readIdxFile(missing, 1)).to.throw(`${missing}: cannot read`);
      const bad = join(dir, 'bad.gz');
      writeFileSync(bad, idx([1], [1]));
      expect(() => readIdxFile(bad, 1)).to.throw(`${bad}: not valid gzip data`);
      const short = join(dir, 'short');
      writeFileSync(short, idx([5], [1]));
      expect(() => readIdxFile(short, 1)).to.throw(`${short}: truncated: expected 13 bytes, found 9`);
    });
  });
});
