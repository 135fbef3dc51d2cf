/**
 * Stroke fixtures (spec/fixtures/strokes/digits.json): each digit 0–9 as pen strokes on a canvas,
 * decoded with io-ts, and a Node rasterizer that draws them as a browser canvas would (round caps
 * and joins, antialiased), so Node specs and the browser test see nearly the same pixels.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { decodeE, getOrThrow } from '../../lib/decode.ts';

/** Where the committed fixtures are. */
export const STROKES_PATH = fileURLToPath(new URL('../fixtures/strokes/digits.json', import.meta.url));

const Finite = t.refinement(t.number, Number.isFinite, 'finite number');
const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'positive integer');
const Digit = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0 && n <= 9, 'digit 0..9');

/** One point, [x, y] in canvas pixels (x to the right, y down). */
const Point = t.tuple([Finite, Finite]);

/** One stroke: the pen goes down at the first point, moves through the rest, and lifts. */
const Stroke = t.refinement(t.array(Point), (s) => s.length >= 1, 'stroke of at least one point');

/** The pen the strokes are drawn with, as a 2D canvas context's settings. */
const Pen = t.type({
  lineWidth: t.refinement(t.number, (n) => Number.isFinite(n) && n > 0, 'positive line width'),
  lineCap: t.literal('round'),
  lineJoin: t.literal('round'),
  strokeStyle: t.literal('#000000'),
  background: t.literal('#ffffff'),
});

/** The fixture file: the canvas, the pen, and each digit's strokes. */
export const StrokeFixtures = t.type({
  about: t.string,
  canvas: t.type({ width: PositiveInt, height: PositiveInt }),
  pen: Pen,
  digits: t.array(t.type({ label: Digit, strokes: t.refinement(t.array(Stroke), (s) => s.length >= 1, 'at least one stroke') })),
});

/** The decoded fixture file. */
export type StrokeFixtures = t.TypeOf<typeof StrokeFixtures>;

/** One digit's strokes. */
export type DigitStrokes = StrokeFixtures['digits'][number];

/** Why points fall off the canvas or a digit is missing or repeated, if they do. */
const fixtureProblem = (f: StrokeFixtures): string | undefined => {
  const labels = f.digits.map((d) => d.label).sort((a, b) => a - b);
  if (labels.join() !== '0,1,2,3,4,5,6,7,8,9') return `digits must be 0..9 once each, got ${labels.join(', ')}`;
  for (const d of f.digits) {
    for (const [s, stroke] of d.strokes.entries()) {
      const off = stroke.findIndex(([x, y]) => x < 0 || y < 0 || x > f.canvas.width || y > f.canvas.height);
      if (off >= 0) return `digit ${d.label}, stroke ${s}: point ${off} [${stroke[off].join(', ')}] is outside the ${f.canvas.width}×${f.canvas.height} canvas`;
    }
  }
  return undefined;
};

/** Decodes fixture JSON: Right the fixtures, or Left an error naming the source and the bad field. */
export const decodeStrokeFixtures = (json: unknown, source: string): E.Either<Error, StrokeFixtures> => pipe(
  decodeE(StrokeFixtures, source)(json),
  E.flatMap((f): E.Either<Error, StrokeFixtures> => {
    const problem = fixtureProblem(f);
    return problem === undefined ? E.right(f) : E.left(new Error(`${source}: ${problem}`));
  }),
);

/** The committed fixtures, decoded (throws naming the file and field when they are not valid). */
export const loadStrokeFixtures = (path = STROKES_PATH): StrokeFixtures =>
  getOrThrow(decodeStrokeFixtures(JSON.parse(readFileSync(path, 'utf8')) as unknown, path));

/** One digit's strokes from the fixtures. */
export const strokesOf = (f: StrokeFixtures, label: number): DigitStrokes => {
  const d = f.digits.find((x) => x.label === label);
  if (d === undefined) throw new Error(`stroke fixtures: no digit ${label}`);
  return d;
};

/** Distance from (px, py) to the segment from a to b. */
const segmentDistance = (px: number, py: number, ax: number, ay: number, bx: number, by: number): number => {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const u = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
  return Math.hypot(px - ax - u * dx, py - ay - u * dy);
};

/**
 * Ink in [0, 1] per pixel (row-major, canvas width × height) of the strokes drawn with a round
 * pen of `lineWidth` (default: the fixtures' pen). A stroked polyline with round caps and joins is
 * the union of capsules around its segments; each pixel's coverage is approximated as
 * clamp(lineWidth / 2 − d + 0.5) with d the distance from the pixel's centre to the nearest
 * segment: a one-pixel antialiased edge, as a canvas draws it.
 */
export const rasterizeStrokes = (
  fixtures: StrokeFixtures, digit: DigitStrokes, lineWidth = fixtures.pen.lineWidth,
  transform: (p: readonly [number, number]) => readonly [number, number] = (p) => p,
): Float32Array => {
  const { width, height } = fixtures.canvas;
  const ink = new Float32Array(width * height);
  const r = lineWidth / 2;
  for (const stroke of digit.strokes) {
    const points = stroke.map(transform);
    for (let k = 0; k < points.length; k++) {
      const [ax, ay] = points[k];
      const [bx, by] = points[Math.min(k + 1, points.length - 1)];
      const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r - 1));
      const x1 = Math.min(width - 1, Math.ceil(Math.max(ax, bx) + r + 1));
      const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r - 1));
      const y1 = Math.min(height - 1, Math.ceil(Math.max(ay, by) + r + 1));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const cover = Math.min(1, Math.max(0, r - segmentDistance(x + 0.5, y + 0.5, ax, ay, bx, by) + 0.5));
          const i = y * width + x;
          if (cover > ink[i]) ink[i] = cover;
        }
      }
    }
  }
  return ink;
};
