/** Random horizontal flips (mirror left–right), for classes that look alike mirrored. */
import { bernoulli } from '../random.ts';
import { wrap } from '../tensor.ts';
import { like, nchw, type Augment } from './augment.ts';

/** Mirrors each image left–right with probability `p` (default 0.5). */
export const horizontalFlip = (p = 0.5): Augment => {
  if (!(p >= 0 && p <= 1)) throw new Error(`horizontalFlip: p must be in [0, 1], got ${p}`);
  return (key, batch) => {
    const x = batch.x;
    const { n, c, h, w } = nchw('horizontalFlip', x);
    const flip = bernoulli(key, p, [n], 'float64').data;
    const out = like(x);
    const src = x.data;
    for (let i = 0; i < n; i++) {
      for (let row = i * c * h; row < (i + 1) * c * h; row++) {
        const o = row * w;
        if (flip[i] === 1) for (let xx = 0; xx < w; xx++) out[o + xx] = src[o + w - 1 - xx];
        else for (let xx = 0; xx < w; xx++) out[o + xx] = src[o + xx];
      }
    }
    return { x: wrap(out, x.shape), labels: batch.labels };
  };
};
