/** Small random rotations and scalings about the image centre, with bilinear sampling. */
import { uniform } from '../random.ts';
import { wrap } from '../tensor.ts';
import { like, nchw, type Augment } from './augment.ts';

/** Options of `randomAffine`. */
export interface AffineOptions {
  /** Rotation angle drawn uniformly from [-maxDegrees, maxDegrees]. */
  readonly maxDegrees: number;
  /** Zoom factor drawn uniformly from [lo, hi] (1: unchanged; > 1 enlarges). */
  readonly scale?: readonly [number, number];
}

/** Rotates and scales each image by its own random angle and factor; outside the image reads 0. */
export const randomAffine = (options: AffineOptions): Augment => {
  const { maxDegrees } = options;
  const [lo, hi] = options.scale ?? [1, 1];
  if (!(maxDegrees >= 0)) throw new Error(`randomAffine: maxDegrees must be ≥ 0, got ${maxDegrees}`);
  if (!(lo > 0 && hi >= lo)) throw new Error(`randomAffine: scale must be [lo, hi] with 0 < lo ≤ hi, got [${lo}, ${hi}]`);
  return (key, batch) => {
    const x = batch.x;
    const { n, c, h, w } = nchw('randomAffine', x);
    const u = uniform(key, [n, 2], 0, 1, 'float64').data;
    const out = like(x);
    const src = x.data;
    const cy = (h - 1) / 2;
    const cx = (w - 1) / 2;
    const at = (plane: number, yy: number, xx: number): number =>
      yy >= 0 && yy < h && xx >= 0 && xx < w ? src[plane + yy * w + xx] : 0;
    for (let i = 0; i < n; i++) {
      const theta = ((2 * u[2 * i] - 1) * maxDegrees * Math.PI) / 180;
      const s = lo + (hi - lo) * u[2 * i + 1];
      // inverse map: each output pixel reads the source point that lands on it
      const cos = Math.cos(theta) / s;
      const sin = Math.sin(theta) / s;
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const sx = cos * (xx - cx) + sin * (y - cy) + cx;
          const sy = -sin * (xx - cx) + cos * (y - cy) + cy;
          const x0 = Math.floor(sx);
          const y0 = Math.floor(sy);
          const fx = sx - x0;
          const fy = sy - y0;
          for (let ch = 0; ch < c; ch++) {
            const plane = (i * c + ch) * h * w;
            const top = at(plane, y0, x0) * (1 - fx) + (fx === 0 ? 0 : at(plane, y0, x0 + 1) * fx);
            const bottom = fy === 0 ? 0 : at(plane, y0 + 1, x0) * (1 - fx) + (fx === 0 ? 0 : at(plane, y0 + 1, x0 + 1) * fx);
            out[plane + y * w + xx] = top * (1 - fy) + bottom * fy;
          }
        }
      }
    }
    return { x: wrap(out, x.shape), labels: batch.labels };
  };
};
