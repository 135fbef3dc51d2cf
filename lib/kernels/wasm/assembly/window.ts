/** im2col and its adjoint col2im in the book's layout: rows (n, oh, ow) × columns (c, kh, kw). */
import { Geometry } from './geometry';

/** Unfolds NCHW x into out[(n·oh·ow) × (c·kh·kw)], zero where the window hangs over the padding. */
export function im2col(x: usize, g: Geometry, out: usize): void {
  const plane = <usize>(g.h * g.w) << 2;
  const kw = g.kw;
  for (let b = 0; b < g.n; b++) {
    const image = x + <usize>(b * g.c) * plane;
    for (let y = 0; y < g.oh; y++) {
      const y0 = y * g.strideH - g.padH;
      for (let xo = 0; xo < g.ow; xo++) {
        const x0 = xo * g.strideW - g.padW;
        // columns j in [jlo, jhi) of the window fall inside the image
        const jlo = max(0, -x0);
        const jhi = min(kw, g.w - x0);
        for (let ch = 0; ch < g.c; ch++) {
          const src = image + <usize>ch * plane;
          for (let i = 0; i < g.kh; i++, out += <usize>kw << 2) {
            const yy = y0 + i;
            if (yy < 0 || yy >= g.h || jhi <= jlo) {
              for (let j = 0; j < kw; j++) store<f32>(out + (<usize>j << 2), 0);
              continue;
            }
            const row = src + (<usize>(yy * g.w + x0) << 2);
            let j = 0;
            for (; j < jlo; j++) store<f32>(out + (<usize>j << 2), 0);
            for (; j < jhi; j++) store<f32>(out + (<usize>j << 2), load<f32>(row + (<usize>j << 2)));
            for (; j < kw; j++) store<f32>(out + (<usize>j << 2), 0);
          }
        }
      }
    }
  }
}

/** Folds cols back into NCHW out (overwritten): each input pixel gets the sum of its copies. */
export function col2im(cols: usize, g: Geometry, out: usize): void {
  const plane = <usize>(g.h * g.w) << 2;
  const kw = g.kw;
  memory.fill(out, 0, <usize>(g.n * g.c) * plane);
  for (let b = 0; b < g.n; b++) {
    const image = out + <usize>(b * g.c) * plane;
    for (let y = 0; y < g.oh; y++) {
      const y0 = y * g.strideH - g.padH;
      for (let xo = 0; xo < g.ow; xo++) {
        const x0 = xo * g.strideW - g.padW;
        const jlo = max(0, -x0);
        const jhi = min(kw, g.w - x0);
        for (let ch = 0; ch < g.c; ch++) {
          const dst = image + <usize>ch * plane;
          for (let i = 0; i < g.kh; i++, cols += <usize>kw << 2) {
            const yy = y0 + i;
            if (yy < 0 || yy >= g.h) continue;
            const row = dst + (<usize>(yy * g.w + x0) << 2);
            for (let j = jlo; j < jhi; j++) {
              const o = <usize>j << 2;
              store<f32>(row + o, load<f32>(row + o) + load<f32>(cols + o));
            }
          }
        }
      }
    }
  }
}
