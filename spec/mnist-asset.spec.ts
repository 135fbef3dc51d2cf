import { expect } from 'chai';
import { Buffer } from 'node:buffer';
import { gunzipSync, gzipSync } from 'fflate';
import * as E from 'fp-ts/lib/Either.js';
import { sliceDataset } from '../lib/data/dataset.ts';
import { loadDataset } from '../lib/data/datasets.ts';
import {
  MAX_MNIST_ASSET_BYTES, MNIST_ASSET_HEADER_BYTES, encodeMnistAsset, mnistAssetLayout, parseMnistAsset, type MnistAsset,
} from '../lib/data/mnist-asset.ts';
import { loadMnist } from '../lib/data/mnist.ts';
import type { LabeledImages, Split } from '../lib/data/registry.ts';

const parsed = (bytes: Uint8Array): MnistAsset => {
  const r = parseMnistAsset(bytes, 'asset');
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

/** The refusal's message (failing the test if the asset was accepted). */
const refusal = (bytes: Uint8Array, maxBytes?: number): string => {
  const r = parseMnistAsset(bytes, 'bad.bin.gz', maxBytes);
  if (E.isRight(r)) throw new Error('the asset was accepted');
  return r.left.message;
};

const sameBytes = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  Buffer.from(Uint8Array.from(a)).equals(Buffer.from(Uint8Array.from(b)));

// A tiny split with recognisable pixels (image i, pixel p holds (7i + p) mod 256) and labels.
const half = (count: number, firstLabel: number): LabeledImages => ({
  pixels: Uint8Array.from({ length: count * 784 }, (_, k) => (7 * Math.floor(k / 784) + (k % 784)) % 256),
  table: Float32Array.from({ length: 256 }, (_, i) => i / 255),
  labels: Uint8Array.from({ length: count }, (_, i) => (firstLabel + i) % 10),
  count, height: 28, width: 28, channels: 1,
});
const tiny: Split = { name: 'mnist', classes: 10, train: half(5, 3), test: half(3, 8) };

/** The uncompressed layout of `tiny`, changed by `edit`, gzipped again (a well-formed gzip of a bad asset). */
const edited = (edit: (raw: Uint8Array, view: DataView) => Uint8Array | void): Uint8Array => {
  const raw = mnistAssetLayout(tiny);
  const out = edit(raw, new DataView(raw.buffer)) ?? raw;
  return gzipSync(out, { mtime: 0 });
};

describe('the compact MNIST asset', function () {
  this.timeout(20_000);

  it('round-trips all 70,000 images and labels exactly, in the shapes loadDataset("mnist") gives', () => {
    const split = loadMnist();
    const asset = parsed(encodeMnistAsset(split));
    const reference = loadDataset('mnist');
    for (const which of ['train', 'test'] as const) {
      expect(sameBytes(asset[which].bytes, split[which].pixels), `${which} images`).to.equal(true);
      expect(sameBytes(asset[which].labels, split[which].labels), `${which} labels`).to.equal(true);
      expect(asset[which].shape).to.deep.equal(reference[which].shape);
      expect(Array.from(asset[which].table)).to.deep.equal(Array.from(reference[which].table));
      // what training reads: the float batches are identical too
      const a = sliceDataset(asset[which], 1000, 1100);
      const b = sliceDataset(reference[which], 1000, 1100);
      expect(a.x.shape).to.deep.equal([100, 1, 28, 28]);
      expect(a.x.data.length).to.equal(b.x.data.length);
      expect(a.x.data.every((v, i) => v === b.x.data[i])).to.equal(true);
      expect(Array.from(a.labels)).to.deep.equal(Array.from(b.labels));
    }
    expect(asset.train.shape).to.deep.equal([60000, 1, 28, 28]);
    expect(asset.test.shape).to.deep.equal([10000, 1, 28, 28]);
    const { train: _t, test: _s, ...rest } = asset;
    const { train: _rt, test: _rs, ...referenceRest } = reference;
    void [_t, _s, _rt, _rs];
    expect(rest).to.deep.equal(referenceRest);
  });

  it('lays out the header it documents, and encodes the same split to the same bytes', () => {
    const raw = mnistAssetLayout(tiny);
    const view = new DataView(raw.buffer);
    expect(new TextDecoder().decode(raw.subarray(0, 4))).to.equal('TFMN');
    expect([4, 8, 12, 16, 20].map((p) => view.getUint32(p, true))).to.deep.equal([1, 5, 3, 28, 28]);
    expect(raw.length).to.equal(MNIST_ASSET_HEADER_BYTES + 8 * 785);
    expect(Array.from(raw.subarray(24 + 5 * 784, 24 + 5 * 785))).to.deep.equal([3, 4, 5, 6, 7]);
    expect(sameBytes(encodeMnistAsset(tiny), encodeMnistAsset(tiny))).to.equal(true);
    expect(sameBytes(gunzipSync(encodeMnistAsset(tiny)), raw)).to.equal(true);
    const asset = parsed(encodeMnistAsset(tiny));
    expect(Array.from(asset.test.labels)).to.deep.equal([8, 9, 0]);
    expect(asset.test.bytes[784 + 5]).to.equal(12);
  });

  it('refuses data that is not gzip, naming what it starts with', () => {
    expect(refusal(mnistAssetLayout(tiny))).to.equal('bad.bin.gz: not gzip data (6304 bytes starting 54 46; gzip starts 1f 8b)');
    expect(refusal(new Uint8Array(0))).to.match(/^bad\.bin\.gz: not gzip data \(0 bytes/);
  });

  it('refuses a truncated download and damaged bytes', () => {
    const good = encodeMnistAsset(tiny);
    expect(refusal(good.subarray(0, good.length - 20))).to.match(/^bad\.bin\.gz: damaged gzip data \(truncated or corrupt\)|^bad\.bin\.gz: decompresses to \d+ bytes, but its gzip trailer says \d+: the file is truncated/);
    expect(refusal(good.subarray(0, 40))).to.match(/^bad\.bin\.gz: damaged gzip data \(truncated or corrupt\): unexpected EOF/);
    const badCrc = Uint8Array.from(good);
    badCrc[badCrc.length - 8] ^= 0xff;
    expect(refusal(badCrc)).to.match(/^bad\.bin\.gz: CRC-32 mismatch \(the gzip trailer says [0-9a-f]{8}, the data gives [0-9a-f]{8}\): the file is damaged$/);
    const badSize = Uint8Array.from(good);
    badSize[badSize.length - 4] ^= 0x01;
    expect(refusal(badSize)).to.match(/^bad\.bin\.gz: decompresses to 6304 bytes, but its gzip trailer says 630[0-9]: the file is truncated or damaged$/);
    // a flipped byte inside the compressed data: the inflater or the CRC-32 catches it, every time
    for (let at = 20; at < good.length - 8; at += Math.ceil((good.length - 28) / 25)) {
      const flipped = Uint8Array.from(good);
      flipped[at] ^= 0x10;
      expect(refusal(flipped), `byte ${at}`).to.match(/^bad\.bin\.gz: (damaged gzip data|CRC-32 mismatch|decompresses to)/);
    }
  });

  it('refuses more output than the cap without inflating all of it', () => {
    expect(refusal(encodeMnistAsset(tiny), 6000)).to.equal('bad.bin.gz: decompresses to more than the cap of 6000 bytes');
    // 16 gzip members of 16 MiB of zeros each: 256 MiB in 256 KB, refused once past 16 MiB
    const member = gzipSync(new Uint8Array(16 * 2 ** 20), { level: 9, mtime: 0 });
    const bomb = new Uint8Array(16 * member.length);
    for (let k = 0; k < 16; k++) bomb.set(member, k * member.length);
    expect(refusal(bomb, 16 * 2 ** 20)).to.equal(`bad.bin.gz: decompresses to more than the cap of ${16 * 2 ** 20} bytes`);
    expect(MAX_MNIST_ASSET_BYTES).to.equal(128 * 2 ** 20);
  });

  it('refuses a wrong magic, version or image size, naming what it found', () => {
    expect(refusal(edited((raw) => void raw.set([0x58, 0x59], 0)))).to.equal('bad.bin.gz: bad magic 58 59 4d 4e, expected TFMN (54 46 4d 4e): not a tenfold MNIST asset');
    // a gzipped IDX file is gzip, but no asset
    const idx = gzipSync(loadMnist().test.pixels.subarray(0, 100), { mtime: 0 });
    expect(refusal(idx)).to.match(/^bad\.bin\.gz: bad magic 00 00 00 00, expected TFMN/);
    expect(refusal(edited((_, view) => view.setUint32(4, 2, true)))).to.equal('bad.bin.gz: unsupported version 2 (this reader knows version 1)');
    expect(refusal(edited((_, view) => view.setUint32(16, 27, true)))).to.equal('bad.bin.gz: images are 27×28, expected 28×28');
    expect(refusal(edited((raw) => raw.subarray(0, 10)))).to.equal('bad.bin.gz: truncated: 10 bytes is too short for the 24-byte header');
  });

  it('refuses sizes that disagree with the header', () => {
    const says = 'the header says 5 train and 3 test images of 28×28, which need 6304 bytes';
    expect(refusal(edited((raw) => raw.subarray(0, raw.length - 1)))).to.equal(`bad.bin.gz: truncated: ${says}; found 6303`);
    expect(refusal(edited((raw) => Uint8Array.from([...raw, 0])))).to.equal(`bad.bin.gz: too long: ${says}; found 6305`);
    expect(refusal(edited((_, view) => view.setUint32(8, 6, true)))).to.match(/^bad\.bin\.gz: truncated: the header says 6 train and 3 test images of 28×28, which need 7089 bytes; found 6304$/);
    expect(refusal(edited((_, view) => view.setUint32(12, 0xffffffff, true)))).to.match(/^bad\.bin\.gz: truncated: the header says 5 train and 4294967295 test images/);
  });

  it('refuses a label outside 0..9, naming the half and index', () => {
    const testLabels = 24 + 5 * 785 + 3 * 784;
    expect(refusal(edited((raw) => void (raw[testLabels + 2] = 10)))).to.equal('bad.bin.gz: test label 10 at index 2 is out of range 0..9');
    expect(refusal(edited((raw) => void (raw[24 + 5 * 784] = 255)))).to.equal('bad.bin.gz: train label 255 at index 0 is out of range 0..9');
  });

  it('refuses to encode images that are not 1×28×28', () => {
    expect(() => encodeMnistAsset({ ...tiny, test: { ...tiny.test, height: 27 } }))
      .to.throw('encodeMnistAsset: test images are 1×27×28, expected 1×28×28');
    expect(() => encodeMnistAsset({ ...tiny, train: { ...tiny.train, count: 4 } }))
      .to.throw('encodeMnistAsset: train has 3920 pixel bytes and 5 labels for 4 images');
  });
});
