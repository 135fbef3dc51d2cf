import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { loadBookNetwork } from '../lib/data/book-weights.ts';
import { preprocessDigit } from '../lib/data/digit-preprocess.ts';
import { wrap } from '../lib/tensor.ts';
import { predictProbabilities } from '../lib/train/model.ts';
import { STROKES_PATH, decodeStrokeFixtures, loadStrokeFixtures, rasterizeStrokes, type StrokeFixtures } from './helpers/strokes.ts';

const WEIGHTS = fileURLToPath(new URL('../assets/book-weights/deep_convnet_2016.npz', import.meta.url));
const raw = (): StrokeFixtures => JSON.parse(readFileSync(STROKES_PATH, 'utf8')) as StrokeFixtures;

const refusal = (json: unknown): string => {
  const r = decodeStrokeFixtures(json, 'digits.json');
  if (E.isRight(r)) throw new Error('the fixtures were accepted');
  return r.left.message;
};

describe('stroke fixtures of the digits 0–9', function () {
  this.timeout(20_000);
  const fixtures = loadStrokeFixtures();
  const { net, variables } = loadBookNetwork('deep-convnet', WEIGHTS);

  /** The book's DeepConvNet's class probabilities for each digit drawn with a pen of `lineWidth`. */
  const probabilities = (lineWidth: number): Float32Array[] => fixtures.digits.map((d) => {
    const x = preprocessDigit(rasterizeStrokes(fixtures, d, lineWidth), fixtures.canvas.width, fixtures.canvas.height);
    if (x === undefined) throw new Error(`digit ${d.label} drew nothing`);
    return Float32Array.from(predictProbabilities(net, variables, wrap(x, [1, 1, 28, 28])).data);
  });
  const top = (p: Float32Array): number => p.indexOf(Math.max(...p));

  it('decode, one per digit, for a 280×280 canvas and a round 18 px black pen on white', () => {
    expect(fixtures.digits.map((d) => d.label)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(fixtures.canvas).to.deep.equal({ width: 280, height: 280 });
    expect(fixtures.pen).to.deep.equal({ lineWidth: 18, lineCap: 'round', lineJoin: 'round', strokeStyle: '#000000', background: '#ffffff' });
  });

  it('have points dense enough to replay with a mouse (at most 6 px apart)', () => {
    for (const d of fixtures.digits) {
      for (const [s, stroke] of d.strokes.entries()) {
        expect(stroke.length, `digit ${d.label} stroke ${s}`).to.be.at.least(10);
        for (let k = 1; k < stroke.length; k++) {
          const gap = Math.hypot(stroke[k][0] - stroke[k - 1][0], stroke[k][1] - stroke[k - 1][1]);
          expect(gap, `digit ${d.label} stroke ${s} point ${k}`).to.be.at.most(6);
        }
      }
    }
  });

  it('refuse a malformed file, naming the field or point', () => {
    const { pen: _pen, ...noPen } = raw();
    void _pen;
    expect(refusal(noPen)).to.match(/^digits\.json: field "pen": expected .*got nothing \(missing\)/);
    const offCanvas = raw();
    offCanvas.digits[3].strokes[0][5] = [300, 40];
    expect(refusal(offCanvas)).to.equal('digits.json: digit 3, stroke 0: point 5 [300, 40] is outside the 280×280 canvas');
    const twice = raw();
    twice.digits[9] = { ...twice.digits[9], label: 8 };
    expect(refusal(twice)).to.equal('digits.json: digits must be 0..9 once each, got 0, 1, 2, 3, 4, 5, 6, 7, 8, 8');
    const notANumber = raw() as unknown as { digits: { strokes: unknown[][][] }[] };
    notANumber.digits[0].strokes[0][2] = [10, 'x'];
    expect(refusal(notANumber)).to.match(/^digits\.json: field "digits\.0\.strokes\.0\.2\.1": expected finite number, got "x"/);
  });

  it('rasterize as a canvas strokes: a dot is a disk of the pen, a line is as thick as the pen', () => {
    const dot = rasterizeStrokes(fixtures, { label: 0, strokes: [[[140, 140]]] });
    const area = dot.reduce((a, v) => a + v, 0);
    expect(area).to.be.closeTo(Math.PI * 9 * 9, 3);
    const line = rasterizeStrokes(fixtures, { label: 0, strokes: [[[40, 100.5], [240, 100.5]]] }, 14);
    const across = Array.from({ length: 280 }, (_, y) => line[y * 280 + 140]).reduce((a, v) => a + v, 0);
    expect(across).to.be.closeTo(14, 0.01);
    expect(line[100 * 280 + 140]).to.equal(1);
    expect(line[100 * 280 + 20]).to.equal(0);
  });

  it("are all classified correctly by the book's DeepConvNet, each with probability ≥ 0.9", () => {
    const p = probabilities(fixtures.pen.lineWidth);
    const summary = p.map((q, label) => `${label}→${top(q)} (${q[top(q)].toFixed(3)})`).join(' ');
    console.log(`      lineWidth ${fixtures.pen.lineWidth}: ${summary}`);
    p.forEach((q, label) => {
      expect(top(q), `digit ${label}: ${summary}`).to.equal(label);
      expect(q[label], `digit ${label}: ${summary}`).to.be.at.least(0.9);
    });
  });

  for (const lineWidth of [14, 22]) {
    it(`are still classified correctly (at least 9 of 10) with a ${lineWidth} px pen`, () => {
      const p = probabilities(lineWidth);
      const right = p.filter((q, label) => top(q) === label).length;
      console.log(`      lineWidth ${lineWidth}: ${right}/10, ${p.map((q, label) => `${label}→${top(q)} (${q[top(q)].toFixed(3)})`).join(' ')}`);
      expect(right).to.be.at.least(9);
    });
  }
});
