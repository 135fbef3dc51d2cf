/** Random shifts: pad each image with zeros and crop back to its size at a random offset. */
import { randint } from '../random.ts';
import { wrap } from '../tensor.ts';
import { like, nchw, type Augment } from './augment.ts';

/** Pads by `pad` zeros on every side and crops the original size at a random offset, per image. */
export const randomCrop = (pad: number): Augment => {
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`randomCrop: pad must be a whole number ≥ 0, got ${pad}`);
  return (key, batch) => {
    if (pad === 0) return batch;
    const x = batch.x;
    const { n, c, h, w } = nchw('randomCrop', x);
    // offsets 0..2·pad into the padded image = shifts -pad..pad of the original
    const shifts = randint(key, 2 * n, -pad, pad + 1);
    const out = like(x);
    const src = x.data;
    for (let i = 0; i < n; i++) {
      const dy = shifts[2 * i];
      const dx = shifts[2 * i + 1];
      const x0 = Math.max(0, -dx);
      const x1 = Math.min(w, w - dx);
      for (let ch = 0; ch < c; ch++) {
        const plane = (i * c + ch) * h * w;
        for (let y = 0; y < h; y++) {
          const sy = y + dy;
          if (sy < 0 || sy >= h) continue; // stays zero: padding
          for (let xx = x0; xx < x1; xx++) out[plane + y * w + xx] = src[plane + sy * w + xx + dx];
        }
      }
    }
    return { x: wrap(out, x.shape), labels: batch.labels };
  };
};
