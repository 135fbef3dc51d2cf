/**
 * The Either forms of the fallible loaders: Right what the throwing form returns, Left (never a
 * throw) the very error the throwing form throws; and lib/decode.ts, the one formatter of io-ts
 * errors behind them.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import {
  DecodeError, decodeE, decodeFailures, decodeOrThrow, describeErrors, fieldPhrase, getOrThrow, showValue,
} from '../lib/decode.ts';
import * as format from '../lib/train/checkpoint-format.ts';
import { gunzipCappedE, parseIdx, parseIdxE, readIdxFile, readIdxFileE } from '../lib/data/idx.ts';
import { readFileCappedE, resolveLimitsE } from '../lib/data/limits.ts';
import { encodeNpy, parseNpy, parseNpyE, readNpyE } from '../lib/data/npy.ts';
import { encodeNpz, readNpz, readNpzE } from '../lib/data/npz.ts';
import { readZipE } from '../lib/data/zip.ts';
import { readEnsembleManifest, readEnsembleManifestE } from '../lib/ensemble/manifest.ts';
import { fromArray } from '../lib/tensor.ts';
import {
  CheckpointError, findResumable, findResumableE, LATEST, loadCheckpoint, loadCheckpointE, saveCheckpoint, type Checkpoint,
} from '../lib/train/checkpoint.ts';

const FIXTURES = fileURLToPath(new URL('../../shared/fixtures/dlfs', import.meta.url));

/** The Left of an Either that must be Left. */
const leftOf = <L, R>(e: E.Either<L, R>): L => {
  if (E.isRight(e)) throw new Error(`expected a Left, got Right ${showValue(e.right)}`);
  return e.left;
};
/** The Right of an Either that must be Right. */
const rightOf = <L, R>(e: E.Either<L, R>): R => {
  if (E.isLeft(e)) throw new Error(`expected a Right, got Left ${String(e.left)}`);
  return e.right;
};
/** What `f` throws. */
const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('nothing was thrown');
};
/** The Either form refuses (as a Left, with `message`) exactly what the throwing form throws. */
const sameRefusal = (either: () => E.Either<Error, unknown>, throwing: () => unknown, message: string | RegExp): void => {
  const left = leftOf(either());
  if (typeof message === 'string') expect(left.message).to.equal(message);
  else expect(left.message).to.match(message);
  expect(thrown(throwing).message).to.equal(left.message);
};

describe('lib/decode: the one formatter of io-ts errors', () => {
  const C = t.type({
    n: t.number,
    tags: t.array(t.string),
    v: t.union([t.null, t.type({ x: t.number })]),
    o: t.intersection([t.type({ a: t.string }), t.partial({ b: t.boolean })]),
  });

  it('names every bad field by its path, merging union branches and keeping the deepest failures', () => {
    const r = C.decode({ n: 'one', tags: ['a', 2], v: { x: 'no' }, o: { b: 1 } });
    expect(describeErrors(leftOf(r))).to.equal([
      'field "n": expected number, got "one"',
      'field "tags.1": expected string, got 2',
      'field "v.x": expected number, got "no"',
      'field "o.a": expected string, got nothing (missing)',
      'field "o.b": expected boolean, got 1',
    ].join('; '));
    const u = t.union([t.number, t.string]).decode(null);
    expect(describeErrors(leftOf(u))).to.equal('expected number or string, got null');
    // branch numbers of an intersection behind t.readonly (or t.exact, a refinement) are not fields either
    const R = t.type({ cfg: t.readonly(t.intersection([t.type({ a: t.string }), t.partial({ b: t.number })], 'Cfg')) });
    expect(describeErrors(leftOf(R.decode({ cfg: { a: 1 } })))).to.equal('field "cfg.a": expected string, got 1');
    expect(describeErrors(leftOf(R.decode({})))).to.equal('field "cfg": expected { a: string } or Partial<{ b: number }>, got nothing (missing)');
  });

  it("uses a codec's own message, and gives the failures as data too", () => {
    const Even = new t.Type<number>('an even number', (u): u is number => typeof u === 'number' && u % 2 === 0,
      (u, c) => (typeof u === 'number' && u % 2 === 0 ? t.success(u) : t.failure(u, c, `expected an even number, got ${showValue(u)}`)), (n) => n);
    const errors = leftOf(t.type({ k: Even }).decode({ k: 3 }));
    expect(describeErrors(errors)).to.equal('field "k": expected an even number, got 3');
    expect(decodeFailures(errors)).to.deep.equal([{ field: 'k', expected: ['an even number'], value: 3, messages: ['expected an even number, got 3'] }]);
    expect(describeErrors(errors, (f) => `${f.field}!`)).to.equal('k!');
    expect(fieldPhrase({ field: '', expected: ['x'], value: NaN, messages: [] })).to.equal('expected x, got NaN');
  });

  it('decodeE, getOrThrow and decodeOrThrow', () => {
    expect(rightOf(decodeE(t.number, 'n')(3))).to.equal(3);
    const left = leftOf(decodeE(C, 'c.json')({}));
    expect(left).to.be.instanceOf(DecodeError);
    expect(left.message).to.match(/^c\.json: field "n": expected number, got nothing \(missing\); /);
    expect(thrown(() => getOrThrow(E.left(left)))).to.equal(left);
    expect(getOrThrow(E.right(7))).to.equal(7);
    expect(thrown(() => decodeOrThrow(C, {}, 'c.json')).message).to.equal(left.message);
    // the checkpoint format keeps its old exports, now the same functions
    expect(format.describeErrors).to.equal(describeErrors);
    expect(format.decodeOrThrow).to.equal(decodeOrThrow);
  });
});

describe('Either forms of the data loaders', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tenfold-either-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const f32 = { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } as const;
  const npyHeader = (header: string): Uint8Array => {
    const text = new TextEncoder().encode(`${header}\n`);
    const out = new Uint8Array(10 + text.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(out.buffer).setUint16(8, text.length, true);
    out.set(text, 10);
    return out;
  };

  it('limits: resolveLimitsE, readFileCappedE', () => {
    expect(rightOf(resolveLimitsE({ maxArrayBytes: 5 }))).to.deep.equal({ maxArrayBytes: 5, maxTotalBytes: 2 ** 31 });
    expect(leftOf(resolveLimitsE({ maxArrayBytes: 1.5 })).message).to.equal('read limits: maxArrayBytes must be a non-negative integer, got 1.5');
    const file = join(dir, 'ten');
    writeFileSync(file, new Uint8Array(10));
    expect(rightOf(readFileCappedE(file, 10, 'maxTotalBytes')).length).to.equal(10);
    expect(leftOf(readFileCappedE(file, 9, 'maxTotalBytes')).message)
      .to.equal(`${file}: the file is 10 bytes, over the cap of 9 bytes (raise it with the maxTotalBytes option)`);
    expect(leftOf(readFileCappedE(join(dir, 'none'), 9, 'maxTotalBytes')).message).to.match(/none: cannot read: ENOENT/);
  });

  it('npy: parseNpyE, readNpyE', () => {
    const bytes = encodeNpy(f32);
    expect(rightOf(parseNpyE(bytes, 'a.npy'))).to.deep.equal(parseNpy(bytes, 'a.npy'));
    sameRefusal(() => parseNpyE(bytes.subarray(0, 5), 'a.npy'), () => parseNpy(bytes.subarray(0, 5), 'a.npy'), 'a.npy: bad magic: not a .npy file');
    const noShape = npyHeader("{'descr': '<f4', 'fortran_order': False}");
    sameRefusal(() => parseNpyE(noShape, 'a.npy'), () => parseNpy(noShape, 'a.npy'),
      "a.npy: invalid .npy header: field 'shape' must be Array<NonNegInt>, got missing");
    sameRefusal(() => parseNpyE(bytes, 'a.npy', { maxArrayBytes: 4 }), () => parseNpy(bytes, 'a.npy', { maxArrayBytes: 4 }), /over the cap of 4 bytes/);
    // a dtype name that is a key of every object is still an unknown dtype
    const proto = npyHeader("{'descr': 'constructor', 'fortran_order': False, 'shape': (), }");
    sameRefusal(() => parseNpyE(proto, 'p.npy'), () => parseNpy(proto, 'p.npy'), /^p\.npy: unsupported dtype 'constructor'/);
    const file = join(dir, 'a.npy');
    writeFileSync(file, bytes);
    expect([...rightOf(readNpyE(file)).data]).to.deep.equal([1, 2]);
    expect(leftOf(readNpyE(join(dir, 'missing.npy'))).message).to.match(/missing\.npy: cannot read/);
  });

  it('zip and npz: readZipE, readNpzE', () => {
    const book = readFileSync(join(FIXTURES, 'simple_convnet_2016.npz'));
    const m = rightOf(readNpzE(book, 'book'));
    expect([...m.keys()]).to.deep.equal([...readNpz(book, 'book').keys()]);
    expect(rightOf(readZipE(book, 'book', { maxArrayBytes: 2 ** 30, maxTotalBytes: 2 ** 31 }, '.npz (zip)')).map((z) => z.name)).to.include('W1.npy');
    const cut = book.subarray(0, book.length >> 1);
    sameRefusal(() => readNpzE(cut, 'cut.npz'), () => readNpz(cut, 'cut.npz'), /^cut\.npz: not a valid \.npz \(zip\) archive/);
    const twice = zipSync({ 'W1.npy': encodeNpy(f32), W1: encodeNpy(f32) });
    sameRefusal(() => readNpzE(twice, 'two.npz'), () => readNpz(twice, 'two.npz'), "two.npz: members 'W1.npy' and 'W1' are both array 'W1'");
    const bad = zipSync({ 'W1.npy': new TextEncoder().encode('not numpy') });
    sameRefusal(() => readNpzE(bad, 'm.npz'), () => readNpz(bad, 'm.npz'), "m.npz: array 'W1': bad magic: not a .npy file");
    sameRefusal(() => readNpzE(encodeNpz({ W1: f32 }), 'c.npz', { maxArrayBytes: 10 }), () => readNpz(encodeNpz({ W1: f32 }), 'c.npz', { maxArrayBytes: 10 }),
      /^c\.npz: W1\.npy: declares \d+ bytes uncompressed, over the cap of 10 bytes per array/);
    expect(leftOf(readNpzE(join(dir, 'missing.npz'))).message).to.match(/missing\.npz: cannot read/);
  });

  it('idx: parseIdxE, readIdxFileE, gunzipCappedE', () => {
    const idx = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]);
    expect(rightOf(parseIdxE(idx, 'l', 1))).to.deep.equal(parseIdx(idx, 'l', 1));
    sameRefusal(() => parseIdxE(idx, 'l', 3), () => parseIdx(idx, 'l', 3), /^l: wrong number of dimensions: magic 0x00000801 says 1, expected 3/);
    sameRefusal(() => parseIdxE(idx.subarray(0, 9), 'l', 1), () => parseIdx(idx.subarray(0, 9), 'l', 1), 'l: truncated: expected 10 bytes, found 9 (the header says dims [2])');
    const gz = join(dir, 'l-idx1-ubyte.gz');
    writeFileSync(gz, gzipSync(idx));
    expect([...rightOf(readIdxFileE(gz, 1)).data]).to.deep.equal([7, 9]);
    sameRefusal(() => readIdxFileE(gz, 1, { maxArrayBytes: 9 }), () => readIdxFile(gz, 1, { maxArrayBytes: 9 }), /over the cap of 9 bytes/);
    expect(leftOf(gunzipCappedE(idx, 'x.gz', 100)).message).to.match(/^x\.gz: not valid gzip data/);
  });
});

describe('Either forms of checkpoints and the ensemble manifest', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tenfold-either-ckpt-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sample = (epoch: number): Checkpoint => ({
    params: { W: fromArray([1, 2, 3], [3]) }, state: {}, optState: {}, key: [1, 2], step: epoch, epoch,
    history: { loss: [1], epochs: [] }, metadata: {},
  });

  it('loadCheckpointE: Right the checkpoint, Left a CheckpointError', () => {
    sameRefusal(() => loadCheckpointE(dir), () => loadCheckpoint(dir), `${dir}: no checkpoint here (no ${LATEST})`);
    expect(leftOf(loadCheckpointE(dir))).to.be.instanceOf(CheckpointError);
    const manifest = saveCheckpoint(dir, sample(1));
    expect(rightOf(loadCheckpointE(dir)).epoch).to.equal(1);
    expect(rightOf(loadCheckpointE(manifest)).epoch).to.equal(1);
    const expect2 = { params: { W: fromArray([1, 2], [2]) } };
    sameRefusal(() => loadCheckpointE(dir, { expect: expect2 }), () => loadCheckpoint(dir, { expect: expect2 }),
      /does not fit the model being resumed: params "W" has shape \[3\] in the checkpoint but \[2\] in the model/);
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, unknown>;
    writeFileSync(manifest, JSON.stringify({ ...m, step: -1 }));
    sameRefusal(() => loadCheckpointE(manifest), () => loadCheckpoint(manifest), `${manifest}: invalid: field "step": expected a whole number ≥ 0, got -1`);
  });

  it('findResumableE: Right undefined for nothing, Right a recovered pair, Left when none verifies', () => {
    expect(rightOf(findResumableE(dir))).to.equal(undefined);
    saveCheckpoint(dir, sample(1));
    const manifest = saveCheckpoint(dir, sample(2));
    expect(rightOf(findResumableE(dir))?.recoveredBecause).to.equal(undefined);
    unlinkSync(join(dir, LATEST));
    const r = rightOf(findResumableE(dir));
    expect([r?.checkpoint.epoch, r?.manifest, r?.recoveredBecause]).to.deep.equal([2, manifest, `${LATEST} is missing`]);
    for (const f of [manifest, manifest.replace('ckpt-e0002-s00000002', 'ckpt-e0001-s00000001')]) writeFileSync(f, '{');
    sameRefusal(() => findResumableE(dir), () => findResumable(dir), new RegExp(`^${dir}: no checkpoint here verifies \\(${LATEST} is missing; .*not valid JSON`));
    expect(leftOf(findResumableE(dir))).to.be.instanceOf(CheckpointError);
  });

  it('readEnsembleManifestE: Right the manifest, Left naming the file and every bad field', () => {
    sameRefusal(() => readEnsembleManifestE(dir), () => readEnsembleManifest(dir), /ensemble\.json: not found \(is .* an ensemble directory/);
    const file = join(dir, 'ensemble.json');
    writeFileSync(file, '{"format":"tenfold-ensemble","version":1,"seed":3,"members":[]}');
    expect(rightOf(readEnsembleManifestE(dir)).seed).to.equal(3);
    writeFileSync(file, '{"format":"tenfold-ensemble","version":1,"seed":"one","members":[{"index":0,"dir":1}]}');
    sameRefusal(() => readEnsembleManifestE(dir), () => readEnsembleManifest(dir), new RegExp(
      `^${file}: field "seed": expected number, got "one"; field "members.0.dir": expected string, got 1; field "members.0.config": expected .*, got nothing \\(missing\\)$`));
    writeFileSync(file, '{');
    sameRefusal(() => readEnsembleManifestE(dir), () => readEnsembleManifest(dir), new RegExp(`^${file}: not valid JSON: `));
  });
});
