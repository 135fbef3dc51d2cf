import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as zc, crc32, deflateRawSync } from 'node:zlib';
import { zipSync } from 'fflate';
import * as E from 'fp-ts/lib/Either.js';
import { encodeNpy, type NpyArray } from '../lib/data/npy.ts';
import { parseNpzE } from '../lib/data/npz-bytes.ts';
import { encodeNpz, readNpzE } from '../lib/data/npz.ts';
import { crc32Portable, portableInflater } from '../lib/data/zip-bytes.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BOOK = join(ROOT, 'assets/book-weights/simple_convnet_2016.npz');
const MiB = 2 ** 20;

/** Left's message of the portable (browser) reader and of the Node reader, for the same bytes. */
const bothRefusals = (bytes: Uint8Array, name: string): [string, string] => {
  const portable = parseNpzE(bytes, name);
  const node = readNpzE(bytes, name);
  if (E.isRight(portable) || E.isRight(node)) throw new Error(`${name} was accepted`);
  return [portable.left.message, node.left.message];
};

const sameArrays = (a: ReadonlyMap<string, NpyArray>, b: ReadonlyMap<string, NpyArray>): void => {
  expect([...a.keys()]).to.deep.equal([...b.keys()]);
  for (const [k, x] of a) {
    const y = b.get(k) as NpyArray;
    expect(x.shape, k).to.deep.equal(y.shape);
    expect(x.dtype, k).to.equal(y.dtype);
    expect(Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength).equals(Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength)), k).to.equal(true);
  }
};

const right = <A>(e: E.Either<Error, A>): A => {
  if (E.isLeft(e)) throw e.left;
  return e.right;
};

const cdOffset = (zip: Uint8Array): number => new DataView(zip.buffer, zip.byteOffset).getUint32(zip.length - 22 + 16, true);

/** Relative imports (not `import type`) of a source file, resolved, and its bare `node:` imports. */
const runtimeImports = (file: string): { local: string[]; node: string[] } => {
  const src = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...src.matchAll(/^\s*(?:import|export)(?!\s+type\b)[^'"\n;]*?['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  return {
    local: specs.filter((s) => s.startsWith('.')).map((s) => normalize(join(dirname(file), s))),
    node: specs.filter((s) => s.startsWith('node:') || ['fs', 'path', 'zlib', 'buffer', 'module', 'url'].includes(s)),
  };
};

describe('reading .npz from bytes without Node (the browser path)', function () {
  this.timeout(20_000);
  const book = new Uint8Array(readFileSync(BOOK));

  it('reads the book archive exactly as the Node reader does', () => {
    sameArrays(right(parseNpzE(book, 'book.npz')), right(readNpzE(BOOK)));
  });

  it('reads deflated members (np.savez_compressed) with fflate', () => {
    const arrays = right(parseNpzE(book, 'book.npz'));
    const stored = encodeNpz(arrays);
    // the same .npy members, deflated
    const deflated = zipSync(Object.fromEntries([...arrays].map(([k, a]) => [`${k}.npy`, encodeNpy(a)])), { level: 6 });
    expect(deflated.length).to.be.below(stored.length);
    sameArrays(right(parseNpzE(deflated, 'deflated.npz')), arrays);
    sameArrays(right(readNpzE(deflated, 'deflated.npz')), arrays);
  });

  it('computes the same CRC-32 as zlib', () => {
    const data = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 2654435761) >>> 24);
    for (const n of [0, 1, 7, 4096, data.length]) expect(crc32Portable(data.subarray(0, n)), `${n} bytes`).to.equal(crc32(data.subarray(0, n)) >>> 0);
  });

  it('refuses damaged archives with the same messages as the Node reader', () => {
    const flipped = book.slice();
    for (let i = book.length >> 1; i < (book.length >> 1) + 64; i++) flipped[i] ^= 0xff;
    const [portable, node] = bothRefusals(flipped, 'flipped.npz');
    expect(portable).to.match(/^flipped\.npz: W2\.npy: CRC-32 mismatch \(the central directory says 0x3958ca70, the data gives 0x[0-9a-f]{8}\): the file is damaged$/);
    expect(portable).to.equal(node);
    for (const cut of [100, book.length >> 1, book.length - 5]) {
      const [p, n] = bothRefusals(book.subarray(0, cut), 'cut.npz');
      expect(p).to.match(/^cut\.npz: not a valid \.npz \(zip\) archive: no end-of-central-directory record/);
      expect(p).to.equal(n);
    }
  });

  it('stops inflating a member that expands far past its declared size', () => {
    // 256 MiB of zeros in ~256 KB of deflate, in an archive that says the member is 1000 bytes
    const chunk = deflateRawSync(new Uint8Array(16 * MiB), { level: 9, finishFlush: zc.Z_SYNC_FLUSH });
    const bomb = new Uint8Array(16 * chunk.length + 2);
    for (let k = 0; k < 16; k++) bomb.set(chunk, k * chunk.length);
    bomb.set([0x03, 0x00], 16 * chunk.length);
    const zip = zipSync({ 'W1.npy': [bomb, { level: 0 }] });
    const view = new DataView(zip.buffer);
    const cd = cdOffset(zip);
    view.setUint16(8, 8, true);
    view.setUint16(cd + 10, 8, true);
    view.setUint32(cd + 24, 1000, true);
    const [portable, node] = bothRefusals(zip, 'liar.npz');
    expect(portable).to.equal('liar.npz: W1.npy: inflates to more than the 1000 bytes it declares: the file is damaged or hostile');
    expect(portable).to.equal(node);
    expect(E.isLeft(portableInflater.inflateRaw(bomb, 16 * MiB))).to.equal(true);
  });

  it('refuses damaged deflate data, naming it', () => {
    const r = portableInflater.inflateRaw(Uint8Array.of(0xff, 0xff, 0xff, 0xff), 100);
    expect(E.isLeft(r) && r.left).to.match(/^deflate data is damaged: /);
    const truncated = deflateRawSync(Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) & 255)).subarray(0, 100);
    const t = portableInflater.inflateRaw(truncated, 5000);
    expect(E.isLeft(t) && t.left).to.match(/^deflate data is damaged: unexpected EOF/);
  });

  it('imports nothing from Node in the modules a browser loads (npz, mnist asset, digit preprocessing)', () => {
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const walk = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const { local, node } = runtimeImports(file);
      nodeImports.push(...node.map((n) => `${file} imports ${n}`));
      const code = readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/\bBuffer\b|\bprocess\./.test(code)) nodeImports.push(`${file} uses Buffer or process`);
      local.forEach(walk);
    };
    for (const entry of ['lib/data/npz-bytes.ts', 'lib/data/mnist-asset.ts', 'lib/data/digit-preprocess.ts']) walk(entry);
    expect(nodeImports, nodeImports.join('\n')).to.deep.equal([]);
    expect([...seen]).to.include.members(['lib/data/zip-bytes.ts', 'lib/data/npy-bytes.ts', 'lib/data/caps.ts', 'lib/decode.ts']);
    // the check finds what it looks for
    expect(runtimeImports('lib/data/npz.ts').node).to.include('node:fs');
  });
});
