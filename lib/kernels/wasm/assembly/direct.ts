/**
 * Direct stride-1 convolution, without im2col: the forward pass, and dx in the backward pass
 * (the convolution of dy with the flipped weights, see prepareFlipped). A micro-kernel holds MR
 * output pixels × 8 filters in registers and walks the CKK window taps: each tap is a fixed
 * offset from a pixel's window origin in a zero-padded copy of the image, and the weights come
 * from panels packed once per call (8 filters per tap). No column matrix is written or packed,
 * and filter counts that are multiples of 8 waste no lanes. Each sum adds the taps in order,
 * then the bias.
 */
import { Geometry } from './geometry';
import { MR } from './tile';
import { madd, storePairs, transpose4 } from './simd';

/** Filters per register tile: two f32x4 vectors (also the dW kernel's). */
export const NF: i32 = 8;
const TILE_BYTES: usize = <usize>(MR * NF) << 2;

/** Rounds a byte count up to whole 64-byte lines. */
// @ts-ignore: decorator
@inline export function align(bytes: usize): usize {
  return (bytes + 63) & ~(<usize>63);
}

/** Floats in a zero-padded copy of one image (c × hp × wp). */
// @ts-ignore: decorator
@inline export function paddedLen(g: Geometry): i32 {
  return g.c * (g.h + 2 * g.padH) * (g.w + 2 * g.padW);
}

// Scratch layout (no objects: the stub runtime's heap would overlap the glue's arena):
// tap offsets (CKK i32) | weight panels (⌈F/8⌉·CKK·8 f32) | padded image |
// staged filter rows | tile | bias.
// @ts-ignore: decorator
@inline function panelsAt(g: Geometry, scratch: usize): usize {
  return scratch + align(<usize>(g.c * g.kh * g.kw) << 2);
}
// @ts-ignore: decorator
@inline function paddedAt(g: Geometry, filters: i32, scratch: usize): usize {
  const blocks = (filters + NF - 1) / NF;
  return panelsAt(g, scratch) + align(<usize>(blocks * g.c * g.kh * g.kw * NF) << 2);
}
// @ts-ignore: decorator
@inline function flatTiles(g: Geometry): i32 {
  return ((g.oh - 1) * (g.w + 2 * g.padW) + g.ow + MR - 1) / MR;
}
// @ts-ignore: decorator
@inline function stagedAt(g: Geometry, filters: i32, scratch: usize): usize {
  // the last tile reads up to MR - 1 floats past the image: keep them inside scratch
  return paddedAt(g, filters, scratch) + align(<usize>(paddedLen(g) + MR) << 2);
}
// @ts-ignore: decorator
@inline function tileAt(g: Geometry, filters: i32, scratch: usize): usize {
  return stagedAt(g, filters, scratch) + align(<usize>(NF * flatTiles(g) * MR) << 2);
}

/** Bytes of scratch directImage needs for this geometry and filter count. */
export function directScratchBytes(g: Geometry, filters: i32): usize {
  return tileAt(g, filters, 0) + TILE_BYTES + (<usize>NF << 2);
}

/** Writes each tap's byte offset from a window origin in the padded image. */
export function writeTaps(g: Geometry, tapAt: usize): void {
  const wp = g.w + 2 * g.padW;
  const hp = g.h + 2 * g.padH;
  let k = 0;
  for (let ch = 0; ch < g.c; ch++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++, k++) store<i32>(tapAt + (<usize>k << 2), ((ch * hp + i) * wp + j) << 2);
    }
  }
}

/**
 * Packs w (F × CKK) into panels of 8 filters (tap-major, zeros past F) and writes the tap
 * offsets. Done once per call, for all its images.
 */
export function prepare(w: usize, g: Geometry, filters: i32, scratch: usize): void {
  writeTaps(g, scratch);
  const ckk = g.c * g.kh * g.kw;
  const panels = panelsAt(g, scratch);
  for (let f0 = 0; f0 < filters; f0 += NF) {
    const panel = panels + (<usize>(f0 * ckk) << 2);
    for (let l = 0; l < NF; l++) {
      const f = f0 + l;
      for (let t = 0; t < ckk; t++) {
        store<f32>(panel + (<usize>(t * NF + l) << 2), f < filters ? load<f32>(w + (<usize>(f * ckk + t) << 2)) : 0);
      }
    }
  }
}

/**
 * As prepare, for the convolution gt that gives dx: its filter c (an input channel of the
 * forward convolution) at tap (f, i, j) weighs w[f, c, kh-1-i, kw-1-j] (gt.c = the forward's
 * filter count, filters = its channels).
 */
export function prepareFlipped(w: usize, gt: Geometry, filters: i32, scratch: usize): void {
  writeTaps(gt, scratch);
  const kh = gt.kh;
  const kw = gt.kw;
  const ckk = gt.c * kh * kw;
  const panels = panelsAt(gt, scratch);
  for (let c0 = 0; c0 < filters; c0 += NF) {
    const panel = panels + (<usize>(c0 * ckk) << 2);
    for (let l = 0; l < NF; l++) {
      const c = c0 + l;
      let t = 0;
      for (let f = 0; f < gt.c; f++) {
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++, t++) {
            const from = ((f * filters + c) * kh + kh - 1 - i) * kw + kw - 1 - j;
            store<f32>(panel + (<usize>(t * NF + l) << 2), c < filters ? load<f32>(w + (<usize>from << 2)) : 0);
          }
        }
      }
    }
  }
}

/**
 * Copies one image (c × h × w) into the middle of a zeroed (c × hp × wp) buffer, followed by MR
 * zeros that the last tile of a flat row may read.
 */
export function padImage(x: usize, g: Geometry, padded: usize): void {
  padInto(x, g, g.h + 2 * g.padH, g.w + 2 * g.padW, MR, padded);
}

/**
 * Copies one image (c × h × w) into a zeroed (c × hp × wp) buffer at row padH, column padW
 * (hp ≥ h + padH, wp ≥ w + padW), followed by `slack` zeros.
 */
export function padInto(x: usize, g: Geometry, hp: i32, wp: i32, slack: i32, padded: usize): void {
  memory.fill(padded, 0, <usize>(g.c * hp * wp + slack) << 2);
  const rowBytes = <usize>g.w << 2;
  for (let ch = 0; ch < g.c; ch++) {
    const src = x + (<usize>(ch * g.h * g.w) << 2);
    const dst = padded + (<usize>((ch * hp + g.padH) * wp + g.padW) << 2);
    for (let y = 0; y < g.h; y++) {
      memory.copy(dst + <usize>(y * wp) * 4, src + <usize>y * rowBytes, rowBytes);
    }
  }
}

/**
 * tile[6×8] = Σ over the window's taps of 6 neighbouring pixels' values × the panel's 8
 * filter weights; tapAt holds each tap's byte offset from a window origin. The pixels are
 * consecutive in the padded image (o, o+4, …), so the loads of a tap share one address
 * register (six addresses made V8 spill; a nested row/column loop spilled accumulators).
 */
export function directTile6(taps: i32, tapAt: usize, panel: usize, o: usize, tile: usize): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0); let c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0); let c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0); let c51 = f32x4.splat(0);
  for (let t = 0; t < taps; t++) {
    const at = o + <usize>load<i32>(tapAt);
    tapAt += 4;
    {
      const w0 = v128.load(panel);
      const w1 = v128.load(panel, 16);
      let a = v128.load32_splat(at);
      c00 = madd(a, w0, c00); c01 = madd(a, w1, c01);
      a = v128.load32_splat(at, 4);
      c10 = madd(a, w0, c10); c11 = madd(a, w1, c11);
      a = v128.load32_splat(at, 8);
      c20 = madd(a, w0, c20); c21 = madd(a, w1, c21);
      a = v128.load32_splat(at, 12);
      c30 = madd(a, w0, c30); c31 = madd(a, w1, c31);
      a = v128.load32_splat(at, 16);
      c40 = madd(a, w0, c40); c41 = madd(a, w1, c41);
      a = v128.load32_splat(at, 20);
      c50 = madd(a, w0, c50); c51 = madd(a, w1, c51);
      panel += 32;
    }
  }
  v128.store(tile, c00, 0); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  v128.store(tile, c40, 128); v128.store(tile, c41, 144);
  v128.store(tile, c50, 160); v128.store(tile, c51, 176);
}

/** tile[5×8], as directTile6 for the plain build (mul + add needs a register more per step). */
export function directTile5(taps: i32, tapAt: usize, panel: usize, o: usize, tile: usize): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0); let c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0); let c41 = f32x4.splat(0);
  for (let t = 0; t < taps; t++) {
    const at = o + <usize>load<i32>(tapAt);
    tapAt += 4;
    {
      const w0 = v128.load(panel);
      const w1 = v128.load(panel, 16);
      let a = v128.load32_splat(at);
      c00 = madd(a, w0, c00); c01 = madd(a, w1, c01);
      a = v128.load32_splat(at, 4);
      c10 = madd(a, w0, c10); c11 = madd(a, w1, c11);
      a = v128.load32_splat(at, 8);
      c20 = madd(a, w0, c20); c21 = madd(a, w1, c21);
      a = v128.load32_splat(at, 12);
      c30 = madd(a, w0, c30); c31 = madd(a, w1, c31);
      a = v128.load32_splat(at, 16);
      c40 = madd(a, w0, c40); c41 = madd(a, w1, c41);
      panel += 32;
    }
  }
  v128.store(tile, c00, 0); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  v128.store(tile, c40, 128); v128.store(tile, c41, 144);
}

/**
 * One image: out (F × oh × ow) = bias + W ⊛ x, then max(0, ·) when relu is set; stride 1 only.
 * Pixels are tiled along the padded image's flat rows (oh × wp, where wp ≥ ow), so a tile's
 * pixels are neighbours in memory; the wp - ow columns past each row's end are computed and
 * dropped. Each 8-filter block is staged as 8 × (oh·wp) rows, then copied out row by row.
 * prepare() has filled the tap offsets and panels; scratch is as directScratchBytes.
 */
export function directImage(x: usize, bias: usize, g: Geometry, filters: i32, relu: bool, out: usize, scratch: usize): void {
  const tapAt = scratch;
  const panels = panelsAt(g, scratch);
  const padded = paddedAt(g, filters, scratch);
  const staged = stagedAt(g, filters, scratch);
  const tile = tileAt(g, filters, scratch);
  const biasTile = tile + TILE_BYTES;
  padImage(x, g, padded);
  const ckk = g.c * g.kh * g.kw;
  const ow = g.ow;
  const p = g.oh * ow;
  const wp = g.w + 2 * g.padW;
  const flat = (g.oh - 1) * wp + ow; // flat positions up to the last output pixel
  const rowBytes = <usize>(flatTiles(g) * MR) << 2; // staged row length (whole tiles)
  for (let f0 = 0; f0 < filters; f0 += NF) {
    const panel = panels + (<usize>(f0 * ckk) << 2);
    const cols = min(NF, filters - f0);
    for (let l = 0; l < NF; l++) store<f32>(biasTile + (<usize>l << 2), l < cols ? load<f32>(bias + (<usize>(f0 + l) << 2)) : 0);
    for (let q0 = 0; q0 < flat; q0 += MR) {
      const o = padded + (<usize>q0 << 2);
      if (MR == 6) directTile6(ckk, tapAt, panel, o, tile);
      else directTile5(ckk, tapAt, panel, o, tile);
      stageTile(tile, biasTile, staged + (<usize>q0 << 2), rowBytes);
    }
    for (let l = 0; l < cols; l++) {
      const src = staged + <usize>l * rowBytes;
      const dst = out + (<usize>((f0 + l) * p) << 2);
      for (let y = 0; y < g.oh; y++) {
        copyRow(src + (<usize>(y * wp) << 2), dst + (<usize>(y * ow) << 2), ow, relu);
      }
    }
  }
}

/** Writes the MR × 8 tile (pixel-major) plus the bias as 8 filter rows of MR pixels, rowBytes apart. */
// @ts-ignore: decorator
@inline function stageTile(tile: usize, bias: usize, dst: usize, rowBytes: usize): void {
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  transpose4(f32x4.add(v128.load(tile), b0), f32x4.add(v128.load(tile, 32), b0), f32x4.add(v128.load(tile, 64), b0),
    f32x4.add(v128.load(tile, 96), b0), dst, rowBytes);
  transpose4(f32x4.add(v128.load(tile, 16), b1), f32x4.add(v128.load(tile, 48), b1), f32x4.add(v128.load(tile, 80), b1),
    f32x4.add(v128.load(tile, 112), b1), dst + 4 * rowBytes, rowBytes);
  if (MR == 6) {
    storePairs(f32x4.add(v128.load(tile, 128), b0), f32x4.add(v128.load(tile, 160), b0), dst + 16, rowBytes);
    storePairs(f32x4.add(v128.load(tile, 144), b1), f32x4.add(v128.load(tile, 176), b1), dst + 4 * rowBytes + 16, rowBytes);
    return;
  }
  for (let r = 4; r < MR; r++) {
    for (let l = 0; l < NF; l++) {
      const v = load<f32>(tile + (<usize>(r * NF + l) << 2)) + load<f32>(bias + (<usize>l << 2));
      store<f32>(dst + <usize>l * rowBytes + (<usize>r << 2), v);
    }
  }
}

/** Copies len floats, as max(0, ·) (zero where not > 0, as reluBackward) when relu is set. */
// @ts-ignore: decorator
@inline function copyRow(src: usize, dst: usize, len: i32, relu: bool): void {
  if (!relu) { memory.copy(dst, src, <usize>len << 2); return; }
  const zero = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= len; k += 4) {
    const v = v128.load(src + (<usize>k << 2));
    v128.store(dst + (<usize>k << 2), v128.and(v, f32x4.gt(v, zero)));
  }
  for (; k < len; k++) {
    const v = load<f32>(src + (<usize>k << 2));
    store<f32>(dst + (<usize>k << 2), v > 0 ? v : 0);
  }
}
