/**
 * Direct stride-1 convolution with 2×2/2 max pooling folded in: only the pooled output (and,
 * when asked, its argmax) is written; the conv output never leaves registers. A micro-kernel
 * holds PF filters × two conv rows × four conv columns (two pooled pixels per filter): the
 * inputs are two unaligned row vectors per tap, the weights a splat per filter. Nothing is
 * computed past the pooled windows, so a 5×5 conv of one channel (SimpleConvNet's, where the
 * direct kernel computes 1.24× the products and im2col packs a small matrix per image) wastes
 * only filters rounded up to PF. The sums, bias, ReLU and first-maximum rule are those of the
 * unfused path (taps in order, then the bias; ReLU per pixel; maxima in row-major window order),
 * so the bits are the same.
 */
import { Geometry } from './geometry';
import { madd } from './simd';
import { align, padInto, writeTaps } from './direct';

/** Filters per tile: 2·PF accumulators (12 in the relaxed build; mul + add needs a register more, so 10). */
export const PF: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
const TILE_BYTES: usize = <usize>(2 * PF) << 4;
/** Zeros past the padded image: the last tile's right pixel reads up to 3 floats past a row. */
const SLACK: i32 = 8;

// Scratch layout: tap offsets (CKK i32) | weight panels (⌈F/PF⌉·CKK·PF f32) | padded image | tile.
// @ts-ignore: decorator
@inline function panelsAt(g: Geometry, scratch: usize): usize {
  return scratch + align(<usize>(g.c * g.kh * g.kw) << 2);
}
// @ts-ignore: decorator
@inline function paddedAt(g: Geometry, filters: i32, scratch: usize): usize {
  const groups = (filters + PF - 1) / PF;
  return panelsAt(g, scratch) + align(<usize>(groups * g.c * g.kh * g.kw * PF) << 2);
}
// @ts-ignore: decorator
@inline function tileAt(g: Geometry, filters: i32, scratch: usize): usize {
  const padded = g.c * (g.h + 2 * g.padH) * (g.w + 2 * g.padW) + SLACK;
  return paddedAt(g, filters, scratch) + align(<usize>padded << 2);
}

/** Bytes of scratch directPoolImage needs. */
export function directPoolScratchBytes(g: Geometry, filters: i32): usize {
  return tileAt(g, filters, 0) + TILE_BYTES;
}

/**
 * Whether this kernel runs conv + pooling pg: stride-1 conv, 2×2/2 pooling without padding, and
 * filters rounded up to PF cost under 20% more products.
 */
export function prefersDirectPool(g: Geometry, pg: Geometry, filters: i32): bool {
  if (g.strideH != 1 || g.strideW != 1 || filters <= 0 || pg.oh <= 0 || pg.ow <= 0) return false;
  if (pg.kh != 2 || pg.kw != 2 || pg.strideH != 2 || pg.strideW != 2 || pg.padH != 0 || pg.padW != 0) return false;
  const groups = (filters + PF - 1) / PF;
  return <f64>(groups * PF) < 1.2 * <f64>filters;
}

/** Writes the tap offsets (from a window origin in the padded image) and packs w (F × CKK) into panels of PF filters, tap-major. */
export function prepareDirectPool(w: usize, g: Geometry, filters: i32, scratch: usize): void {
  writeTaps(g, scratch);
  const ckk = g.c * g.kh * g.kw;
  const panels = panelsAt(g, scratch);
  for (let f0 = 0; f0 < filters; f0 += PF) {
    const panel = panels + (<usize>(f0 * ckk) << 2);
    for (let t = 0; t < ckk; t++) {
      for (let l = 0; l < PF; l++) {
        const f = f0 + l;
        store<f32>(panel + (<usize>(t * PF + l) << 2), f < filters ? load<f32>(w + (<usize>(f * ckk + t) << 2)) : 0);
      }
    }
  }
}

/**
 * tile = for each of 6 filters, Σ over the taps of the 4 pixels at o (top row) and o + rowBytes
 * (bottom row) × the filter's weight: filter l's top sums at tile + 32·l, bottom at + 16.
 */
export function poolTile6(taps: i32, tapAt: usize, panel: usize, o: usize, rowBytes: usize, tile: usize): void {
  let t0 = f32x4.splat(0); let b0 = f32x4.splat(0);
  let t1 = f32x4.splat(0); let b1 = f32x4.splat(0);
  let t2 = f32x4.splat(0); let b2 = f32x4.splat(0);
  let t3 = f32x4.splat(0); let b3 = f32x4.splat(0);
  let t4 = f32x4.splat(0); let b4 = f32x4.splat(0);
  let t5 = f32x4.splat(0); let b5 = f32x4.splat(0);
  for (let t = 0; t < taps; t++) {
    const at = o + <usize>load<i32>(tapAt);
    tapAt += 4;
    const top = v128.load(at);
    const bottom = v128.load(at + rowBytes);
    let w = v128.load32_splat(panel);
    t0 = madd(top, w, t0); b0 = madd(bottom, w, b0);
    w = v128.load32_splat(panel, 4);
    t1 = madd(top, w, t1); b1 = madd(bottom, w, b1);
    w = v128.load32_splat(panel, 8);
    t2 = madd(top, w, t2); b2 = madd(bottom, w, b2);
    w = v128.load32_splat(panel, 12);
    t3 = madd(top, w, t3); b3 = madd(bottom, w, b3);
    w = v128.load32_splat(panel, 16);
    t4 = madd(top, w, t4); b4 = madd(bottom, w, b4);
    w = v128.load32_splat(panel, 20);
    t5 = madd(top, w, t5); b5 = madd(bottom, w, b5);
    panel += 24;
  }
  v128.store(tile, t0, 0); v128.store(tile, b0, 16);
  v128.store(tile, t1, 32); v128.store(tile, b1, 48);
  v128.store(tile, t2, 64); v128.store(tile, b2, 80);
  v128.store(tile, t3, 96); v128.store(tile, b3, 112);
  v128.store(tile, t4, 128); v128.store(tile, b4, 144);
  v128.store(tile, t5, 160); v128.store(tile, b5, 176);
}

/** As poolTile6 with 5 filters, for the plain build. */
export function poolTile5(taps: i32, tapAt: usize, panel: usize, o: usize, rowBytes: usize, tile: usize): void {
  let t0 = f32x4.splat(0); let b0 = f32x4.splat(0);
  let t1 = f32x4.splat(0); let b1 = f32x4.splat(0);
  let t2 = f32x4.splat(0); let b2 = f32x4.splat(0);
  let t3 = f32x4.splat(0); let b3 = f32x4.splat(0);
  let t4 = f32x4.splat(0); let b4 = f32x4.splat(0);
  for (let t = 0; t < taps; t++) {
    const at = o + <usize>load<i32>(tapAt);
    tapAt += 4;
    const top = v128.load(at);
    const bottom = v128.load(at + rowBytes);
    let w = v128.load32_splat(panel);
    t0 = madd(top, w, t0); b0 = madd(bottom, w, b0);
    w = v128.load32_splat(panel, 4);
    t1 = madd(top, w, t1); b1 = madd(bottom, w, b1);
    w = v128.load32_splat(panel, 8);
    t2 = madd(top, w, t2); b2 = madd(bottom, w, b2);
    w = v128.load32_splat(panel, 12);
    t3 = madd(top, w, t3); b3 = madd(bottom, w, b3);
    w = v128.load32_splat(panel, 16);
    t4 = madd(top, w, t4); b4 = madd(bottom, w, b4);
    panel += 20;
  }
  v128.store(tile, t0, 0); v128.store(tile, b0, 16);
  v128.store(tile, t1, 32); v128.store(tile, b1, 48);
  v128.store(tile, t2, 64); v128.store(tile, b2, 80);
  v128.store(tile, t3, 96); v128.store(tile, b3, 112);
  v128.store(tile, t4, 128); v128.store(tile, b4, 144);
}

/** v + bias, then max(0, ·) (zero where not > 0, as the unfused ReLU) when relu is set. */
// @ts-ignore: decorator
@inline function biased(v: v128, bias: v128, relu: bool): v128 {
  const s = f32x4.add(v, bias);
  return relu ? v128.and(s, f32x4.gt(s, f32x4.splat(0))) : s;
}

/**
 * One image: out (F × ph × pw) = max over each 2×2 window of (bias + W ⊛ x, ReLU'd when relu is
 * set), and when arg is not 0 the maximum's flat index into the batch's conv output (argBase is
 * this image's first). prepareDirectPool has filled the taps and panels; pg is the pooling.
 */
export function directPoolImage(x: usize, bias: usize, g: Geometry, pg: Geometry, filters: i32, relu: bool,
  out: usize, arg: usize, argBase: i32, scratch: usize): void {
  const panels = panelsAt(g, scratch);
  const padded = paddedAt(g, filters, scratch);
  const tile = tileAt(g, filters, scratch);
  const wp = g.w + 2 * g.padW;
  padInto(x, g, g.h + 2 * g.padH, wp, SLACK, padded);
  const ckk = g.c * g.kh * g.kw;
  const ph = pg.oh;
  const pw = pg.ow;
  const plane = ph * pw;
  const convPlane = g.oh * g.ow;
  const rowBytes = <usize>wp << 2;
  for (let f0 = 0; f0 < filters; f0 += PF) {
    const panel = panels + (<usize>(f0 * ckk) << 2);
    const cols = min(PF, filters - f0);
    for (let py = 0; py < ph; py++) {
      for (let px = 0; px < pw; px += 2) {
        const o = padded + (<usize>(2 * py * wp + 2 * px) << 2);
        if (PF == 6) poolTile6(ckk, scratch, panel, o, rowBytes, tile);
        else poolTile5(ckk, scratch, panel, o, rowBytes, tile);
        const both = px + 1 < pw;
        for (let l = 0; l < cols; l++) {
          const f = f0 + l;
          const b = v128.load32_splat(bias + (<usize>f << 2));
          const top = biased(v128.load(tile + (<usize>l << 5)), b, relu);
          const bottom = biased(v128.load(tile + (<usize>l << 5), 16), b, relu);
          // lanes 0, 1: the two windows' top-left (even) and top-right (odd) pixels; 2, 3: bottom
          const even = f32x4.shuffle(top, bottom, 0, 2, 4, 6);
          const odd = f32x4.shuffle(top, bottom, 1, 3, 5, 7);
          const at = (<usize>(f * plane + py * pw + px)) << 2;
          if (arg == 0) {
            let best = f32x4.pmax(even, odd);
            best = f32x4.pmax(best, f32x4.shuffle(even, even, 2, 3, 2, 3));
            best = f32x4.pmax(best, f32x4.shuffle(odd, odd, 2, 3, 2, 3));
            if (both) v128.store64_lane(out + at, best, 0);
            else v128.store32_lane(out + at, best, 0);
            continue;
          }
          const first = i32x4.add(i32x4.splat(argBase + f * convPlane + 2 * py * g.ow + 2 * px), i32x4(0, 2, 0, 2));
          let best = even;
          let index = first;
          let v = odd;
          let take = f32x4.gt(v, best);
          best = v128.bitselect(v, best, take);
          index = v128.bitselect(i32x4.add(first, i32x4.splat(1)), index, take);
          v = f32x4.shuffle(even, even, 2, 3, 2, 3);
          take = f32x4.gt(v, best);
          best = v128.bitselect(v, best, take);
          index = v128.bitselect(i32x4.add(first, i32x4.splat(g.ow)), index, take);
          v = f32x4.shuffle(odd, odd, 2, 3, 2, 3);
          take = f32x4.gt(v, best);
          best = v128.bitselect(v, best, take);
          index = v128.bitselect(i32x4.add(first, i32x4.splat(g.ow + 1)), index, take);
          if (both) {
            v128.store64_lane(out + at, best, 0);
            v128.store64_lane(arg + at, index, 0);
          } else {
            v128.store32_lane(out + at, best, 0);
            v128.store32_lane(arg + at, index, 0);
          }
        }
      }
    }
  }
}
