import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadBookNetwork } from '../lib/data/book-weights.ts';
import { DIGIT_SIDE, centreOfMass, inkFromRgba, preprocessDigit } from '../lib/data/digit-preprocess.ts';
import { loadMnist } from '../lib/data/mnist.ts';
import { argmax } from '../lib/ops/reduce.ts';
import { wrap } from '../lib/tensor.ts';
import { predictLogits } from '../lib/train/model.ts';
import { loadStrokeFixtures, rasterizeStrokes, strokesOf, type DigitStrokes } from './helpers/strokes.ts';

const CANVAS = 280;
const WEIGHTS = fileURLToPath(new URL('../assets/book-weights/deep_convnet_2016.npz', import.meta.url));
const fixtures = loadStrokeFixtures();

/** The 28×28 result, failing the test when the drawing was taken for blank. */
const digitOf = (ink: Float32Array, width = CANVAS, height = CANVAS): Float32Array => {
  const out = preprocessDigit(ink, width, height);
  if (out === undefined) throw new Error('the drawing was taken for a blank canvas');
  return out;
};

/** Bounding box (inclusive) of the pixels over `threshold` of a 28×28 image. */
const boxOf = (img: Float32Array, threshold = 0): { x0: number; x1: number; y0: number; y1: number } => {
  const box = { x0: DIGIT_SIDE, x1: -1, y0: DIGIT_SIDE, y1: -1 };
  img.forEach((v, i) => {
    if (v <= threshold) return;
    const x = i % DIGIT_SIDE;
    const y = Math.floor(i / DIGIT_SIDE);
    box.x0 = Math.min(box.x0, x), box.x1 = Math.max(box.x1, x), box.y0 = Math.min(box.y0, y), box.y1 = Math.max(box.y1, y);
  });
  return box;
};

const longerSide = (img: Float32Array): number => {
  const b = boxOf(img);
  return Math.max(b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
};

const meanAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

const drawing = (strokes: [number, number][][]): DigitStrokes => ({ label: 0, strokes });

// Asymmetric shapes: digits whose ink is lopsided in their box, an L, and a wide, short bar with a hook.
const shapes: readonly [string, Float32Array][] = [
  ...[1, 2, 4, 7].map((d): [string, Float32Array] => [`digit ${d}`, rasterizeStrokes(fixtures, strokesOf(fixtures, d))]),
  ['an L', rasterizeStrokes(fixtures, drawing([[[60, 40], [60, 240], [150, 240]]]), 16)],
  ['a wide hook', rasterizeStrokes(fixtures, drawing([[[30, 150], [250, 150], [250, 110]]]), 12)],
];

describe('MNIST-style preprocessing of a drawn digit', function () {
  this.timeout(20_000);

  it('reads ink from RGBA: dark on white or transparent is ink, light or transparent is none', () => {
    const px = [[0, 0, 0, 255], [255, 255, 255, 255], [0, 0, 0, 0], [0, 0, 0, 128], [128, 128, 128, 255], [255, 255, 255, 100], [255, 0, 0, 255]];
    const ink = inkFromRgba(Uint8ClampedArray.from(px.flat()), px.length, 1);
    expect(Array.from(ink, (v) => Math.round(v * 1000) / 1000)).to.deep.equal([1, 0, 0, 0.502, 0.498, 0, 0.701]);
    expect(() => inkFromRgba(new Uint8ClampedArray(12), 2, 2)).to.throw('inkFromRgba: 12 bytes is not 4 × 2 × 2');
  });

  it('gives undefined for a blank canvas (and for ink too faint to be a stroke)', () => {
    expect(preprocessDigit(new Float32Array(CANVAS * CANVAS), CANVAS, CANVAS)).to.equal(undefined);
    expect(preprocessDigit(new Float32Array(CANVAS * CANVAS).fill(0.05), CANVAS, CANVAS)).to.equal(undefined);
    const white = new Uint8ClampedArray(CANVAS * CANVAS * 4).fill(255);
    expect(preprocessDigit(inkFromRgba(white, CANVAS, CANVAS), CANVAS, CANVAS)).to.equal(undefined);
    expect(() => preprocessDigit(new Float32Array(10), 4, 4)).to.throw('preprocessDigit: 10 ink values is not 4 × 4');
  });

  for (const [what, ink] of shapes) {
    it(`scales ${what} to a longer side of 20 and puts its centre of mass at (14, 14)`, () => {
      const out = digitOf(ink);
      expect(out.length).to.equal(28 * 28);
      expect(out.every((v) => v >= 0 && v <= 1)).to.equal(true);
      expect(longerSide(out)).to.be.within(19, 21);
      const com = centreOfMass(out, 28, 28);
      // within a tenth of a pixel: the centring shift is fractional (half a pixel would do for whole-pixel shifts)
      expect(Math.abs(com.x - 14), `x ${com.x}`).to.be.at.most(0.1);
      expect(Math.abs(com.y - 14), `y ${com.y}`).to.be.at.most(0.1);
    });
  }

  it('keeps a very lopsided drawing whole rather than centring its mass', () => {
    // a heavy blob at the left end of a long thin line: centring its mass would push the line out
    const ink = rasterizeStrokes(fixtures, drawing([[[20, 140], [260, 140]], [[40, 140]]]), 4);
    for (let y = 100; y < 180; y++) for (let x = 20; x < 60; x++) ink[y * CANVAS + x] = 1;
    const out = digitOf(ink);
    const b = boxOf(out, 0.01);
    expect([b.x0, b.x1]).to.deep.equal([8, 27]);
    expect(centreOfMass(out, 28, 28).x).to.be.below(13.5);
  });

  it('gives the same image wherever the digit is drawn, and nearly the same at other sizes', () => {
    for (const d of [3, 5, 9]) {
      const digit = strokesOf(fixtures, d);
      const here = digitOf(rasterizeStrokes(fixtures, digit));
      const moved = digitOf(rasterizeStrokes(fixtures, digit, undefined, ([x, y]) => [x - 43, y + 31]));
      expect(Array.from(moved)).to.deep.equal(Array.from(here));
      const nudged = digitOf(rasterizeStrokes(fixtures, digit, undefined, ([x, y]) => [x + 17.4, y - 22.7]));
      expect(meanAbsDiff(nudged, here), `digit ${d} moved by a fraction of a pixel`).to.be.below(0.01);
      // two thirds the size, with a pen scaled alike: the same shape at a lower resolution
      const small = digitOf(rasterizeStrokes(fixtures, digit, 12, ([x, y]) => [60 + (x * 2) / 3, 40 + (y * 2) / 3]));
      expect(meanAbsDiff(small, here), `digit ${d} at 2/3 size`).to.be.below(0.01);
      const box = (img: Float32Array): number[] => Object.values(boxOf(img, 0.1));
      box(small).forEach((v, i) => expect(Math.abs(v - box(here)[i]), `digit ${d} box`).to.be.at.most(1));
    }
  });

  it("keeps MNIST's own test digits recognisable: upscaled onto a 280×280 canvas, shifted, preprocessed back", () => {
    const test = loadMnist().test;
    const { net, variables } = loadBookNetwork('deep-convnet', WEIGHTS);
    const picked = Array.from({ length: 400 }, (_, k) => k * 25);
    const canvases = new Float32Array(picked.length * 28 * 28);
    const originals = new Float32Array(picked.length * 28 * 28);
    picked.forEach((index, k) => {
      const image = Float32Array.from(test.pixels.subarray(index * 784, (index + 1) * 784), (b) => b / 255);
      originals.set(image, k * 784);
      // sizes 6× to 9.5×, offsets anywhere the enlarged image fits: from the index, so reproducible
      const scale = 6 + (k % 8) / 2;
      const side = 28 * scale;
      const ox = ((index * 7919) % 1000) / 1000 * (CANVAS - side);
      const oy = ((index * 104729) % 1000) / 1000 * (CANVAS - side);
      canvases.set(digitOf(upscaled(image, scale, ox, oy)), k * 784);
    });
    const hits = (x: Float32Array): number => {
      const predicted = argmax(predictLogits(net, variables, wrap(x, [picked.length, 1, 28, 28])), -1);
      return picked.filter((index, k) => predicted[k] === test.labels[index]).length;
    };
    const direct = hits(originals);
    const redrawn = hits(canvases);
    console.log(`      DeepConvNet: ${direct}/${picked.length} as MNIST gives them, ${redrawn}/${picked.length} after redrawing and preprocessing`);
    expect(redrawn / picked.length).to.be.at.least(0.98);
  });
});

/** A 28×28 image enlarged `scale` times (bilinear) onto a white 280×280 canvas at (ox, oy). */
function upscaled(image: Float32Array, scale: number, ox: number, oy: number): Float32Array {
  const out = new Float32Array(CANVAS * CANVAS);
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x > 27 || y > 27 ? 0 : image[y * 28 + x]);
  for (let cy = 0; cy < CANVAS; cy++) {
    for (let cx = 0; cx < CANVAS; cx++) {
      const u = (cx + 0.5 - ox) / scale - 0.5;
      const v = (cy + 0.5 - oy) / scale - 0.5;
      if (u < -1 || v < -1 || u > 28 || v > 28) continue;
      const x = Math.floor(u);
      const y = Math.floor(v);
      const fx = u - x;
      const fy = v - y;
      out[cy * CANVAS + cx] = (1 - fy) * ((1 - fx) * at(x, y) + fx * at(x + 1, y)) + fy * ((1 - fx) * at(x, y + 1) + fx * at(x + 1, y + 1));
    }
  }
  return out;
}
