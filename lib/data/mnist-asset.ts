/**
 * MNIST as one compact file for browsers (the demo fetches it): all 70,000 images and labels in
 * a small binary layout, gzip-compressed. Browser-safe: no node: imports, no Buffer.
 *
 * Layout before compression, all integers little-endian uint32:
 *
 *   offset  0  magic 'TFMN' (bytes 54 46 4D 4E)
 *           4  version (1)
 *           8  train count N
 *          12  test count M
 *          16  rows (28)
 *          20  cols (28)
 *          24  train images: N × rows × cols bytes, row-major, 0 = background, 255 = ink
 *              train labels: N bytes, 0..9
 *              test images:  M × rows × cols bytes
 *              test labels:  M bytes
 *
 * and nothing after. The gzip member's CRC-32 is checked on reading (fflate does not), so a
 * damaged download is refused rather than read as slightly different images.
 */
import { Gunzip, gzipSync } from 'fflate';
import * as E from 'fp-ts/lib/Either.js';
import type { ByteDataset } from './dataset.ts';
import type { TrainTest } from './datasets.ts';
import type { Split } from './registry.ts';
import { crc32Portable } from './zip-bytes.ts';

/** MNIST from the asset, in the shapes `loadDataset('mnist')` gives: byte datasets N×1×28×28, pixels scaled to [0, 1]. */
export type MnistAsset = TrainTest;

/** The asset's first four bytes, 'TFMN' (tenfold MNIST). */
export const MNIST_ASSET_MAGIC = 'TFMN';

/** The layout version this module reads and writes. */
export const MNIST_ASSET_VERSION = 1;

/** Bytes of the header: magic, version, train count, test count, rows, cols. */
export const MNIST_ASSET_HEADER_BYTES = 24;

/** Largest decompressed asset accepted by default (MNIST is 55 MB): 128 MiB. */
export const MAX_MNIST_ASSET_BYTES = 128 * 2 ** 20;

const SIDE = 28;
const CLASSES = 10;
// Compressed bytes per push while inflating: the output can pass its bound by a few MiB at most.
const PUSH_BYTES = 65536;

const magicBytes = Uint8Array.from(MNIST_ASSET_MAGIC, (c) => c.charCodeAt(0));

/** The uncompressed asset of a split (28×28 single-channel images, labels 0..9), before gzip. */
export const mnistAssetLayout = (split: Split): Uint8Array => {
  const { train, test } = split;
  for (const [which, half] of [['train', train], ['test', test]] as const) {
    if (half.channels !== 1 || half.height !== SIDE || half.width !== SIDE) {
      throw new Error(`encodeMnistAsset: ${which} images are ${half.channels}×${half.height}×${half.width}, expected 1×${SIDE}×${SIDE}`);
    }
    if (half.pixels.length !== half.count * SIDE * SIDE || half.labels.length !== half.count) {
      throw new Error(`encodeMnistAsset: ${which} has ${half.pixels.length} pixel bytes and ${half.labels.length} labels for ${half.count} images`);
    }
  }
  const out = new Uint8Array(MNIST_ASSET_HEADER_BYTES + train.pixels.length + train.count + test.pixels.length + test.count);
  const view = new DataView(out.buffer);
  out.set(magicBytes, 0);
  [MNIST_ASSET_VERSION, train.count, test.count, SIDE, SIDE].forEach((v, i) => view.setUint32(4 + 4 * i, v, true));
  let at = MNIST_ASSET_HEADER_BYTES;
  for (const part of [train.pixels, train.labels, test.pixels, test.labels]) out.set(part, at), (at += part.length);
  return out;
};

/**
 * The compressed asset of a split: gzip level 6 (level 9 takes 4× as long for 0.1% less), no
 * timestamp, so the same split always gives the same bytes.
 */
export const encodeMnistAsset = (split: Split): Uint8Array => gzipSync(mnistAssetLayout(split), { level: 6, mtime: 0 });

/**
 * Inflates gzip data, refusing more than `cap` bytes of output (it stops soon after), then checks
 * the output against the trailer's size and CRC-32. Inflating before trusting the trailer lets a
 * truncated file be called truncated (its last bytes are not a trailer).
 */
const gunzipChecked = (bytes: Uint8Array, name: string, cap: number): E.Either<Error, Uint8Array> => {
  const fail = (what: string): E.Either<Error, never> => E.left(new Error(`${name}: ${what}`));
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    const start = Array.from(bytes.subarray(0, 2), (b) => b.toString(16).padStart(2, '0')).join(' ');
    return fail(`not gzip data (${bytes.length} bytes starting ${start || 'with nothing'}; gzip starts 1f 8b)`);
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  const stream = new Gunzip((chunk) => {
    total += chunk.length;
    if (total <= cap) parts.push(chunk);
  });
  try {
    for (let p = 0; total <= cap; p += PUSH_BYTES) {
      const end = Math.min(bytes.length, p + PUSH_BYTES);
      stream.push(bytes.subarray(p, end), end === bytes.length);
      if (end === bytes.length) break;
    }
  } catch (e) {
    return fail(`damaged gzip data (truncated or corrupt): ${(e as Error).message}`);
  }
  if (total > cap) return fail(`decompresses to more than the cap of ${cap} bytes`);
  const trailer = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 8);
  const crc = trailer.getUint32(0, true);
  const size = trailer.getUint32(4, true);
  if (total !== size) return fail(`decompresses to ${total} bytes, but its gzip trailer says ${size}: the file is truncated or damaged`);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) out.set(part, at), (at += part.length);
  const got = crc32Portable(out);
  if (got !== crc) return fail(`CRC-32 mismatch (the gzip trailer says ${crc.toString(16).padStart(8, '0')}, the data gives ${got.toString(16).padStart(8, '0')}): the file is damaged`);
  return E.right(out);
};

/** The header's fields, checked against the data present. */
interface Header {
  readonly trainCount: number;
  readonly testCount: number;
}

const headerOf = (raw: Uint8Array, name: string): E.Either<Error, Header> => {
  const fail = (what: string): E.Either<Error, never> => E.left(new Error(`${name}: ${what}`));
  if (raw.length < MNIST_ASSET_HEADER_BYTES) return fail(`truncated: ${raw.length} bytes is too short for the ${MNIST_ASSET_HEADER_BYTES}-byte header`);
  if (magicBytes.some((b, i) => raw[i] !== b)) {
    const seen = Array.from(raw.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    return fail(`bad magic ${seen}, expected ${MNIST_ASSET_MAGIC} (54 46 4d 4e): not a tenfold MNIST asset`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const [version, trainCount, testCount, rows, cols] = [4, 8, 12, 16, 20].map((p) => view.getUint32(p, true));
  if (version !== MNIST_ASSET_VERSION) return fail(`unsupported version ${version} (this reader knows version ${MNIST_ASSET_VERSION})`);
  if (rows !== SIDE || cols !== SIDE) return fail(`images are ${rows}×${cols}, expected ${SIDE}×${SIDE}`);
  // at most 2^33 × 785 + 24: exact in a double
  const expected = MNIST_ASSET_HEADER_BYTES + (trainCount + testCount) * (rows * cols + 1);
  const what = `the header says ${trainCount} train and ${testCount} test images of ${rows}×${cols}, which need ${expected} bytes; found ${raw.length}`;
  if (raw.length < expected) return fail(`truncated: ${what}`);
  if (raw.length > expected) return fail(`too long: ${what}`);
  return E.right({ trainCount, testCount });
};

/** The first label outside 0..9, as a refusal. */
const labelProblem = (labels: Int32Array, which: string): string | undefined => {
  const bad = labels.findIndex((l) => l >= CLASSES);
  return bad < 0 ? undefined : `${which} label ${labels[bad]} at index ${bad} is out of range 0..${CLASSES - 1}`;
};

// Byte → [0, 1], as the library's loaders scale MNIST (normalize: true).
const TABLE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

const byteHalf = (raw: Uint8Array, at: number, count: number): { readonly images: ByteDataset; readonly next: number } => {
  const per = SIDE * SIDE;
  const bytes = raw.subarray(at, at + count * per);
  const labels = Int32Array.from(raw.subarray(at + count * per, at + count * (per + 1)));
  return { images: { bytes, shape: [count, 1, SIDE, SIDE], table: TABLE, labels }, next: at + count * (per + 1) };
};

/**
 * MNIST from the asset's bytes (as fetched: still gzipped), or Left an Error starting with `name`
 * that says what is wrong: not gzip, damaged or truncated gzip (CRC-32 checked), decompressing
 * past `maxBytes`, wrong magic or version, a size that disagrees with the header, a label over 9.
 * The datasets view the decompressed bytes without copying.
 */
export const parseMnistAsset = (bytes: Uint8Array, name = 'mnist.bin.gz', maxBytes = MAX_MNIST_ASSET_BYTES): E.Either<Error, MnistAsset> => {
  const raw = gunzipChecked(bytes, name, maxBytes);
  if (E.isLeft(raw)) return raw;
  const header = headerOf(raw.right, name);
  if (E.isLeft(header)) return header;
  const train = byteHalf(raw.right, MNIST_ASSET_HEADER_BYTES, header.right.trainCount);
  const test = byteHalf(raw.right, train.next, header.right.testCount);
  const problem = labelProblem(train.images.labels, 'train') ?? labelProblem(test.images.labels, 'test');
  if (problem !== undefined) return E.left(new Error(`${name}: ${problem}`));
  return E.right({
    name: 'mnist',
    train: train.images,
    test: test.images,
    classes: CLASSES,
    inputShape: [1, SIDE, SIDE],
    imageShape: [1, SIDE, SIDE],
    classNames: Array.from({ length: CLASSES }, (_, i) => String(i)),
  });
};
