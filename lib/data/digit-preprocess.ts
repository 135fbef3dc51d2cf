/**
 * A drawn digit turned into an MNIST-style input, by LeCun's recipe for MNIST itself: crop to the
 * ink, scale the longer side to 20 pixels keeping the aspect ratio (area-averaged, so edges come
 * out grey as in MNIST), then place it in 28×28 with its centre of mass at the centre.
 * The centring shift may be fractional, so moving the drawing by a fraction of a pixel moves
 * nothing in the result. Pure and browser-safe (no imports at all): the demo runs it on a canvas's pixels.
 */

/** Side of the output image (MNIST's). */
export const DIGIT_SIDE = 28;

/** Side of the box the digit's longer side is scaled to (MNIST's). */
export const DIGIT_BOX = 20;

/** Ink below this is antialiasing fringe or noise: it does not count for the bounding box. */
export const INK_THRESHOLD = 0.1;

/**
 * Ink in [0, 1] per pixel (row-major, width × height) of a canvas's RGBA bytes, assuming dark
 * strokes on a light or transparent background: ink = alpha × (1 − luminance), so black on
 * white, black on transparent and their antialiased edges all read as the stroke's coverage,
 * and a white or transparent pixel as 0. Light strokes on a dark background read as no ink.
 */
export const inkFromRgba = (rgba: Uint8ClampedArray, width: number, height: number): Float32Array => {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`inkFromRgba: width and height must be positive integers, got ${width}×${height}`);
  }
  if (rgba.length !== width * height * 4) throw new Error(`inkFromRgba: ${rgba.length} bytes is not 4 × ${width} × ${height}`);
  const ink = new Float32Array(width * height);
  for (let i = 0, p = 0; i < ink.length; i++, p += 4) {
    const luminance = (0.299 * rgba[p] + 0.587 * rgba[p + 1] + 0.114 * rgba[p + 2]) / 255;
    ink[i] = Math.min(1, Math.max(0, (rgba[p + 3] / 255) * (1 - luminance)));
  }
  return ink;
};

/** Smallest rectangle holding every pixel with ink over the threshold (inclusive bounds). */
interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

const boxOf = (ink: Float32Array, width: number, height: number): Box | undefined => {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] <= INK_THRESHOLD) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? undefined : { x0, y0, x1, y1 };
};

/**
 * Weights of an area-averaging resample along one axis: output cell j covers source interval
 * [start + j / scale, start + (j + 1) / scale), clipped to the source range [lo, hi); each source
 * pixel it overlaps weighs its overlap times scale (so the weights of a fully covered cell sum to 1).
 */
const axisWeights = (start: number, lo: number, hi: number, scale: number): { readonly src: number[]; readonly w: number[] }[] =>
  Array.from({ length: DIGIT_SIDE }, (_, j) => {
    const from = Math.max(lo, start + j / scale);
    const to = Math.min(hi, start + (j + 1) / scale);
    const src: number[] = [];
    const w: number[] = [];
    for (let s = Math.floor(from); s < to; s++) {
      const overlap = Math.min(to, s + 1) - Math.max(from, s);
      if (overlap > 0) src.push(s), w.push(overlap * scale);
    }
    return { src, w };
  });

/**
 * The box's ink scaled by `scale` and shifted so that source point (box.x0, box.y0) lands at
 * (dx, dy) of the 28×28 field, area-averaged (separably: along rows, then down columns).
 */
const resample = (ink: Float32Array, width: number, box: Box, scale: number, dx: number, dy: number): Float32Array => {
  const across = axisWeights(box.x0 - dx / scale, box.x0, box.x1 + 1, scale);
  const down = axisWeights(box.y0 - dy / scale, box.y0, box.y1 + 1, scale);
  const bh = box.y1 - box.y0 + 1;
  const wide = new Float32Array(bh * DIGIT_SIDE);
  for (let y = 0; y < bh; y++) {
    const row = (box.y0 + y) * width;
    for (let j = 0; j < DIGIT_SIDE; j++) {
      const { src, w } = across[j];
      let sum = 0;
      for (let k = 0; k < src.length; k++) sum += w[k] * ink[row + src[k]];
      wide[y * DIGIT_SIDE + j] = sum;
    }
  }
  const out = new Float32Array(DIGIT_SIDE * DIGIT_SIDE);
  for (let i = 0; i < DIGIT_SIDE; i++) {
    const { src, w } = down[i];
    for (let j = 0; j < DIGIT_SIDE; j++) {
      let sum = 0;
      for (let k = 0; k < src.length; k++) sum += w[k] * wide[(src[k] - box.y0) * DIGIT_SIDE + j];
      out[i * DIGIT_SIDE + j] = Math.min(1, sum);
    }
  }
  return out;
};

/** Centre of mass of the ink inside the box, in the box's own pixels (its corner is (0, 0)). */
const boxCentre = (ink: Float32Array, width: number, box: Box): { readonly x: number; readonly y: number } => {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0; x <= box.x1; x++) {
      const v = ink[y * width + x];
      mass += v;
      sx += v * (x - box.x0 + 0.5);
      sy += v * (y - box.y0 + 0.5);
    }
  }
  return { x: sx / mass, y: sy / mass };
};

/** Intensity-weighted centre of an image, in pixel coordinates (pixel i spans [i, i + 1), its centre i + 0.5). */
export const centreOfMass = (img: Float32Array, cols: number, rows: number): { readonly x: number; readonly y: number } => {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = img[i * cols + j];
      mass += v;
      sx += v * (j + 0.5);
      sy += v * (i + 0.5);
    }
  }
  return mass === 0 ? { x: cols / 2, y: rows / 2 } : { x: sx / mass, y: sy / mass };
};

/** Offset putting the scaled centre of mass at the field's centre, clamped so that `extent` pixels stay inside. */
const offsetFor = (com: number, extent: number): number => Math.min(DIGIT_SIDE - extent, Math.max(0, DIGIT_SIDE / 2 - com));

/**
 * A 28×28 MNIST-style image (row-major, values in [0, 1]) of a drawing's ink (row-major,
 * width × height, values in [0, 1]; see `inkFromRgba`), or undefined when nothing is drawn
 * (no pixel over INK_THRESHOLD). The ink's bounding box is scaled so that its longer side is
 * 20 pixels and shifted (by a fraction of a pixel too) so that its centre of mass is at (14, 14),
 * in one area-averaging resample (each output pixel the mean of the ink it covers: no blur beyond
 * that), unless centring would push the box out of the field (a very lopsided drawing): then it
 * is shifted only as far as keeps all of it inside.
 */
export const preprocessDigit = (ink: Float32Array, width: number, height: number): Float32Array | undefined => {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`preprocessDigit: width and height must be positive integers, got ${width}×${height}`);
  }
  if (ink.length !== width * height) throw new Error(`preprocessDigit: ${ink.length} ink values is not ${width} × ${height}`);
  const box = boxOf(ink, width, height);
  if (box === undefined) return undefined;
  const bw = box.x1 - box.x0 + 1;
  const bh = box.y1 - box.y0 + 1;
  const scale = DIGIT_BOX / Math.max(bw, bh);
  const com = boxCentre(ink, width, box);
  return resample(ink, width, box, scale, offsetFor(com.x * scale, bw * scale), offsetFor(com.y * scale, bh * scale));
};
