/** Max and average pooling per channel, forward and backward. */
import { Geometry } from './geometry';

/** out[p, y, x] = max over the clipped window; arg (i32) gets the flat input index (-1 if empty). */
export function maxPool(x: usize, g: Geometry, out: usize, arg: usize): void {
  const planeLen = g.h * g.w;
  let o: usize = 0;
  for (let p = 0; p < g.n * g.c; p++) {
    const base = p * planeLen;
    for (let y = 0; y < g.oh; y++) {
      const y0 = y * g.strideH - g.padH;
      const ilo = max(0, y0);
      const ihi = min(g.h, y0 + g.kh);
      for (let xo = 0; xo < g.ow; xo++, o += 4) {
        const x0 = xo * g.strideW - g.padW;
        const jlo = max(0, x0);
        const jhi = min(g.w, x0 + g.kw);
        let best: f32 = -Infinity;
        let bestIdx = -1;
        for (let i = ilo; i < ihi; i++) {
          for (let j = jlo; j < jhi; j++) {
            const idx = base + i * g.w + j;
            const v = load<f32>(x + (<usize>idx << 2));
            if (v > best || bestIdx < 0) { best = v; bestIdx = idx; }
          }
        }
        store<f32>(out + o, bestIdx < 0 ? 0 : best);
        store<i32>(arg + o, bestIdx);
      }
    }
  }
}

/** out (outLen floats, overwritten) = dy scattered to the argmax positions, summed. */
export function maxPoolBackward(dy: usize, arg: usize, len: i32, out: usize, outLen: i32): void {
  memory.fill(out, 0, <usize>outLen << 2);
  for (let o = 0; o < len; o++) {
    const a = load<i32>(arg + (<usize>o << 2));
    if (a < 0) continue;
    const d = out + (<usize>a << 2);
    store<f32>(d, load<f32>(d) + load<f32>(dy + (<usize>o << 2)));
  }
}

/** out = window sum / (kh·kw); padding counts as zeros. Sums in f64 like the reference. */
export function avgPool(x: usize, g: Geometry, out: usize): void {
  const inv: f64 = 1 / <f64>(g.kh * g.kw);
  const planeLen = g.h * g.w;
  for (let p = 0; p < g.n * g.c; p++) {
    const base = x + (<usize>(p * planeLen) << 2);
    for (let y = 0; y < g.oh; y++) {
      const y0 = y * g.strideH - g.padH;
      const ilo = max(0, y0);
      const ihi = min(g.h, y0 + g.kh);
      for (let xo = 0; xo < g.ow; xo++, out += 4) {
        const x0 = xo * g.strideW - g.padW;
        const jlo = max(0, x0);
        const jhi = min(g.w, x0 + g.kw);
        let s: f64 = 0;
        for (let i = ilo; i < ihi; i++) {
          for (let j = jlo; j < jhi; j++) s += <f64>load<f32>(base + (<usize>(i * g.w + j) << 2));
        }
        store<f32>(out, <f32>(s * inv));
      }
    }
  }
}

/** out (NCHW, overwritten) = each dy / (kh·kw) spread over its window. */
export function avgPoolBackward(dy: usize, g: Geometry, out: usize): void {
  const inv: f64 = 1 / <f64>(g.kh * g.kw);
  const planeLen = g.h * g.w;
  memory.fill(out, 0, <usize>(g.n * g.c * planeLen) << 2);
  for (let p = 0; p < g.n * g.c; p++) {
    const base = out + (<usize>(p * planeLen) << 2);
    for (let y = 0; y < g.oh; y++) {
      const y0 = y * g.strideH - g.padH;
      const ilo = max(0, y0);
      const ihi = min(g.h, y0 + g.kh);
      for (let xo = 0; xo < g.ow; xo++, dy += 4) {
        const x0 = xo * g.strideW - g.padW;
        const jlo = max(0, x0);
        const jhi = min(g.w, x0 + g.kw);
        const d: f64 = <f64>load<f32>(dy) * inv;
        for (let i = ilo; i < ihi; i++) {
          for (let j = jlo; j < jhi; j++) {
            const a = base + (<usize>(i * g.w + j) << 2);
            store<f32>(a, <f32>(<f64>load<f32>(a) + d));
          }
        }
      }
    }
  }
}
