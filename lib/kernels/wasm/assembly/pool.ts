/** Max and average pooling per channel, forward and backward. */
import { Geometry } from './geometry';

/**
 * out[p, y, x] = max over the clipped window; arg (i32) gets the flat input index (-1 if empty).
 * The first maximum wins; a NaN in first place stays. Geometry is read into locals once and the
 * running max is branch-free (random activations made the branchy form mispredict, ~10× slower).
 */
export function maxPool(x: usize, g: Geometry, out: usize, arg: usize): void {
  if (g.kh == 2 && g.kw == 2 && g.strideH == 2 && g.strideW == 2 && g.padH == 0 && g.padW == 0) {
    maxPool2x2(x, g, out, arg);
    return;
  }
  const planes = g.n * g.c;
  const h = g.h; const w = g.w; const kh = g.kh; const kw = g.kw;
  const sh = g.strideH; const sw = g.strideW; const ph = g.padH; const pw = g.padW;
  const oh = g.oh; const ow = g.ow;
  const planeLen = h * w;
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * planeLen;
    for (let y = 0; y < oh; y++) {
      const y0 = y * sh - ph;
      const ilo = max(0, y0);
      const ihi = min(h, y0 + kh);
      // windows xo ∈ [vlo, vhi) lie inside horizontally: four at a time in SIMD lanes
      const vlo = min(ow, (pw + sw - 1) / sw);
      const vhi = w + pw - kw < 0 ? 0 : min(ow, (w + pw - kw) / sw + 1);
      let xo = 0;
      if (ilo < ihi) {
        for (; xo < vlo; xo++, o += 4) scalarWindow(x, base, w, ilo, ihi, xo * sw - pw, kw, out + o, arg + o);
        for (; xo + 4 <= vhi; xo += 4, o += 16) {
          vectorWindows(x, base, w, ilo, ihi, xo * sw - pw, kw, sw, out + o, arg + o);
        }
      }
      for (; xo < ow; xo++, o += 4) {
        const x0 = xo * sw - pw;
        const jlo = max(0, x0);
        const jhi = min(w, x0 + kw);
        if (ilo >= ihi || jlo >= jhi) {
          store<f32>(out + o, 0);
          store<i32>(arg + o, -1);
          continue;
        }
        // the first element seeds the running max, so later ones need only be strictly greater
        let bestIdx = base + ilo * w + jlo;
        let best = load<f32>(x + (<usize>bestIdx << 2));
        for (let i = ilo; i < ihi; i++) {
          const row = base + i * w;
          for (let j = jlo; j < jhi; j++) {
            const idx = row + j;
            const v = load<f32>(x + (<usize>idx << 2));
            const take = v > best;
            best = select<f32>(v, best, take);
            bestIdx = select<i32>(idx, bestIdx, take);
          }
        }
        store<f32>(out + o, best);
        store<i32>(arg + o, bestIdx);
      }
    }
  }
}

/**
 * maxPool for 2×2 windows, stride 2, no padding (the common case): four windows per step from
 * two loads per input row, split into even and odd columns; the same first-maximum rule.
 */
function maxPool2x2(x: usize, g: Geometry, out: usize, arg: usize): void {
  const planes = g.n * g.c;
  const w = g.w;
  const oh = g.oh;
  const ow = g.ow;
  const planeLen = g.h * w;
  const lanes = i32x4(0, 2, 4, 6);
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * planeLen;
    for (let y = 0; y < oh; y++) {
      const top = base + 2 * y * w; // flat index of the window row's first pixel
      const r0 = x + (<usize>top << 2);
      const r1 = r0 + (<usize>w << 2);
      let xo = 0;
      for (; xo + 4 <= ow && 2 * xo + 8 <= w; xo += 4, o += 16) {
        const c = <usize>(2 * xo) << 2;
        const a0 = v128.load(r0 + c);
        const a1 = v128.load(r0 + c, 16);
        const b0 = v128.load(r1 + c);
        const b1 = v128.load(r1 + c, 16);
        const first = i32x4.add(i32x4.splat(top + 2 * xo), lanes);
        let best = f32x4.shuffle(a0, a1, 0, 2, 4, 6);
        let at = first;
        let v = f32x4.shuffle(a0, a1, 1, 3, 5, 7);
        let take = f32x4.gt(v, best);
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(first, i32x4.splat(1)), at, take);
        v = f32x4.shuffle(b0, b1, 0, 2, 4, 6);
        take = f32x4.gt(v, best);
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(first, i32x4.splat(w)), at, take);
        v = f32x4.shuffle(b0, b1, 1, 3, 5, 7);
        take = f32x4.gt(v, best);
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(first, i32x4.splat(w + 1)), at, take);
        v128.store(out + o, best);
        v128.store(arg + o, at);
      }
      for (; xo < ow; xo++, o += 4) scalarWindow(x, base, w, 2 * y, 2 * y + 2, 2 * xo, 2, out + o, arg + o);
    }
  }
}

/** One clipped window starting at column x0 (rows [ilo, ihi) non-empty): max and its index. */
// @ts-ignore: decorator
@inline function scalarWindow(x: usize, base: i32, w: i32, ilo: i32, ihi: i32, x0: i32, kw: i32,
  out: usize, arg: usize): void {
  const jlo = max(0, x0);
  const jhi = min(w, x0 + kw);
  if (jlo >= jhi) { store<f32>(out, 0); store<i32>(arg, -1); return; }
  let bestIdx = base + ilo * w + jlo;
  let best = load<f32>(x + (<usize>bestIdx << 2));
  for (let i = ilo; i < ihi; i++) {
    const row = base + i * w;
    for (let j = jlo; j < jhi; j++) {
      const idx = row + j;
      const v = load<f32>(x + (<usize>idx << 2));
      if (v > best) { best = v; bestIdx = idx; }
    }
  }
  store<f32>(out, best);
  store<i32>(arg, bestIdx);
}

/** Columns c, c+s, c+2s, c+3s of the row at `row` (reads nothing past c+3s). */
// @ts-ignore: decorator
@inline function gather(row: usize, c: i32, s: i32): v128 {
  const at = row + (<usize>c << 2);
  if (s == 1) return v128.load(at);
  if (s == 2) return f32x4.shuffle(v128.load(at), v128.load(at, 12), 0, 2, 5, 7);
  const d = <usize>s << 2;
  let v = f32x4.splat(load<f32>(at));
  v = f32x4.replace_lane(v, 1, load<f32>(at + d));
  v = f32x4.replace_lane(v, 2, load<f32>(at + 2 * d));
  return f32x4.replace_lane(v, 3, load<f32>(at + 3 * d));
}

/**
 * Four horizontally unclipped windows starting at columns x0, x0+sw, x0+2sw, x0+3sw, rows
 * [ilo, ihi) (non-empty), one per lane: the first element seeds each lane, later ones replace
 * it only when strictly greater (the reference's first-maximum rule), without branches.
 */
function vectorWindows(x: usize, base: i32, w: i32, ilo: i32, ihi: i32, x0: i32, kw: i32, sw: i32,
  out: usize, arg: usize): void {
  const lanes = i32x4(0, sw, 2 * sw, 3 * sw);
  let rowIdx = base + ilo * w;
  let best = gather(x + (<usize>rowIdx << 2), x0, sw);
  let bestIdx = i32x4.add(i32x4.splat(rowIdx + x0), lanes);
  for (let i = ilo; i < ihi; i++, rowIdx += w) {
    const row = x + (<usize>rowIdx << 2);
    for (let j = i == ilo ? 1 : 0; j < kw; j++) {
      const v = gather(row, x0 + j, sw);
      const take = f32x4.gt(v, best);
      best = v128.bitselect(v, best, take);
      bestIdx = v128.bitselect(i32x4.add(i32x4.splat(rowIdx + x0 + j), lanes), bestIdx, take);
    }
  }
  v128.store(out, best);
  v128.store(arg, bestIdx);
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
