import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadMnist, MNIST_FILES, type LabeledImages, type Split } from '../lib/data/mnist.ts';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_FILES,
  FASHION_MNIST_INSTALL_HINT,
  loadFashionMnist,
} from '../lib/data/fashion-mnist.ts';
import { loadDataset } from '../lib/data/datasets.ts';
import { datasetDefinition } from '../lib/data/registry.ts';

function range(a: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < lo) lo = a[i];
    if (a[i] > hi) hi = a[i];
  }
  return [lo, hi];
}

/** Pixels as floats through the half's table (what batches hold). */
const imagesAsFloat = (h: LabeledImages): Float32Array => Float32Array.from(h.pixels, (b) => h.table[b]);

function checkHalf(h: LabeledImages, count: number): void {
  expect(h.count).to.equal(count);
  expect([h.channels, h.height, h.width]).to.deep.equal([1, 28, 28]);
  expect(h.pixels).to.be.instanceOf(Uint8Array);
  expect(h.pixels.length).to.equal(count * 28 * 28);
  expect(h.labels.length).to.equal(count);
  expect(range(h.pixels)).to.deep.equal([0, 255]);
  expect(range(imagesAsFloat(h))).to.deep.equal([0, 1]);
  expect(range(h.labels)).to.deep.equal([0, 9]);
}

// Tiny IDX writers for synthetic datasets in a temp dir.
function idx(dims: number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}
const pixels = (n: number, side = 28): Uint8Array => Uint8Array.from({ length: n * side * side }, (_, i) => i % 256);

describe('data/mnist', () => {
  it('loads 60000 train / 10000 test images as bytes 1×28×28, as floats in [0, 1]', () => {
    const mnist = loadMnist();
    expect(mnist.name).to.equal('mnist');
    expect(mnist.classes).to.equal(10);
    checkHalf(mnist.train, 60000);
    checkHalf(mnist.test, 10000);
    expect(mnist.train.labels[0]).to.equal(5);
    expect(mnist.test.labels[0]).to.equal(7);
  });

  it('caches per options: a second load returns the same arrays', () => {
    expect(loadMnist()).to.equal(loadMnist({ normalize: true }));
  });

  describe('with a synthetic directory', () => {
    let dir: string;
    const write = (files: Record<string, Uint8Array>): string => {
      const d = mkdtempSync(join(dir, 'set-'));
      for (const [f, b] of Object.entries(files)) writeFileSync(join(d, f), b);
      return d;
    };
    const good = (): Record<string, Uint8Array> => ({
      [MNIST_FILES.trainImages]: idx([2, 28, 28], pixels(2)),
      [MNIST_FILES.trainLabels]: idx([2], [3, 9]),
      [MNIST_FILES.testImages]: idx([1, 28, 28], pixels(1)),
      [MNIST_FILES.testLabels]: idx([1], [0]),
    });
    before(() => (dir = mkdtempSync(join(tmpdir(), 'tenfold-mnist-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps raw 0..255 values with normalize: false', () => {
      const s = loadMnist({ dir: write(good()), normalize: false });
      expect(s.train.count).to.equal(2);
      expect([...s.train.labels]).to.deep.equal([3, 9]);
      const images = imagesAsFloat(s.train);
      expect(Array.from(images.subarray(0, 3))).to.deep.equal([0, 1, 2]);
      expect(range(images)).to.deep.equal([0, 255]);
    });

    it('normalizes as pixel / 255', () => {
      const s = loadMnist({ dir: write(good()) });
      const images = imagesAsFloat(s.train);
      expect(images[255]).to.equal(1);
      expect(images[51]).to.equal(Math.fround(0.2));
    });

    it('refuses mismatched image and label counts, naming the files', () => {
      const d = write({ ...good(), [MNIST_FILES.trainLabels]: idx([3], [1, 2, 3]) });
      expect(() => loadMnist({ dir: d })).to.throw(`${join(d, MNIST_FILES.trainLabels)}: 3 labels for 2 images`);
    });

    it('refuses out-of-range labels', () => {
      const d = write({ ...good(), [MNIST_FILES.testLabels]: idx([1], [10]) });
      expect(() => loadMnist({ dir: d })).to.throw(
        `${join(d, MNIST_FILES.testLabels)}: label 10 at index 0 is out of range 0..9`,
      );
    });

    it('refuses images that are not 28×28', () => {
      const d = write({ ...good(), [MNIST_FILES.trainImages]: idx([2, 27, 27], pixels(2, 27)) });
      expect(() => loadMnist({ dir: d })).to.throw(`${join(d, MNIST_FILES.trainImages)}: images are 27×27, expected 28×28`);
    });

    it('names a missing file', () => {
      const files = good();
      delete files[MNIST_FILES.testImages];
      const d = write(files);
      expect(() => loadMnist({ dir: d })).to.throw(`${join(d, MNIST_FILES.testImages)}: cannot read`);
    });

    it('reads gzipped Fashion-MNIST files from an overridden directory', () => {
      const g = good();
      const d = write({
        [FASHION_MNIST_FILES.trainImages]: gzipSync(g[MNIST_FILES.trainImages]),
        [FASHION_MNIST_FILES.trainLabels]: gzipSync(g[MNIST_FILES.trainLabels]),
        [FASHION_MNIST_FILES.testImages]: gzipSync(g[MNIST_FILES.testImages]),
        [FASHION_MNIST_FILES.testLabels]: gzipSync(g[MNIST_FILES.testLabels]),
      });
      const s = loadFashionMnist({ dir: d });
      expect(s.name).to.equal('fashion-mnist');
      expect([...s.train.labels]).to.deep.equal([3, 9]);
    });
  });
});

describe('data/fashion-mnist', () => {
  it('has ten class names', () => {
    expect(FASHION_MNIST_CLASSES).to.have.length(10);
    expect(FASHION_MNIST_CLASSES[9]).to.equal('Ankle boot');
  });

  it('gives the install hint when the dataset is missing', () => {
    const dir = join(tmpdir(), 'tenfold-no-such-dir');
    expect(() => loadFashionMnist({ dir })).to.throw(
      `Fashion-MNIST not found at ${join(dir, FASHION_MNIST_FILES.trainImages)}; ${FASHION_MNIST_INSTALL_HINT}`,
    );
  });

  // Either the Debian package is installed and loads correctly, or the error says how to install it.
  it('loads from /usr/share/datasets/fashion-mnist or explains how to install it', () => {
    let fashion: Split;
    try {
      fashion = loadFashionMnist();
    } catch (e) {
      expect((e as Error).message).to.match(
        /^Fashion-MNIST not found at \/usr\/share\/datasets\/fashion-mnist\/.*; install it with: sudo apt-get install dataset-fashion-mnist$/,
      );
      return;
    }
    expect(fashion.classes).to.equal(10);
    checkHalf(fashion.train, 60000);
    checkHalf(fashion.test, 10000);
    expect(fashion.train.labels[0]).to.equal(9); // the first training image is an ankle boot
  });
});

describe('MNIST and Fashion-MNIST as registry entries', () => {
  it('say their shape, class names, mirror safety and preset', () => {
    const m = datasetDefinition('mnist');
    const f = datasetDefinition('fashion-mnist');
    expect([m.imageShape, f.imageShape]).to.deep.equal([[1, 28, 28], [1, 28, 28]]);
    expect(m.classNames).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(f.classNames).to.equal(FASHION_MNIST_CLASSES);
    expect([m.mirrorSafe, f.mirrorSafe]).to.deep.equal([false, true]);
    expect(m.augmentPreset.map((s) => s.name)).to.deep.equal(['crop', 'affine']);
    expect(f.augmentPreset.map((s) => s.name)).to.deep.equal(['crop', 'flip']);
  });

  it('load through the registry as byte datasets, the split\'s arrays shared', () => {
    const d = loadDataset('mnist', true);
    expect(d.train.shape).to.deep.equal([60000, 784]);
    expect(d.imageShape).to.deep.equal([1, 28, 28]);
    expect(d.train.bytes).to.equal(loadMnist().train.pixels);
  });
});
