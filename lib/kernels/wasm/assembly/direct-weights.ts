/**
 * Weight gradient of a stride-1 convolution without im2col: dW[f, (c, i, j)] = Σ over output
 * pixels q of dy[f, q] · x[c, q + (i, j)], summed along the padded image's flat rows (as in
 * direct.ts; dy is staged in that layout, zeros past each row's end, 8 filters per pixel).
 * Taps come in groups of three neighbours along a kernel row, which share one address register,
 * so a register tile of 2 groups × 8 filters reads like the GEMM micro-kernel: per pixel, two
 * vectors of dy and six broadcasts of x for 12 FMAs. The sums run over every pixel of an image
 * before they touch memory; dWᵀ accumulates over the call's images and is transposed at the end.
 */
import { Geometry } from './geometry';
import { madd, transpose4 } from './simd';
import { align, NF, padImage, paddedLen } from './direct';
import { MR } from './tile';

/** Tap groups per kernel row (three taps each; the last may run past kw, computed and dropped). */
// @ts-ignore: decorator
@inline function groupsPerRow(g: Geometry): i32 {
  return (g.kw + 2) / 3;
}
// @ts-ignore: decorator
@inline function groups(g: Geometry): i32 {
  return g.c * g.kh * groupsPerRow(g);
}
/** Flat positions of one image: up to the last output pixel. */
// @ts-ignore: decorator
@inline function flatLen(g: Geometry): i32 {
  return (g.oh - 1) * (g.w + 2 * g.padW) + g.ow;
}
// @ts-ignore: decorator
@inline function filterBlocks(filters: i32): i32 {
  return (filters + NF - 1) / NF;
}

// Scratch layout: group offsets (i32) | padded image (+ MR zeros) | staged dy (blocks × flat × 8)
// | dWᵀ sums (groups·3 rows × blocks·8) | one register tile.
// @ts-ignore: decorator
@inline function paddedAt(g: Geometry, scratch: usize): usize {
  return scratch + align(<usize>groups(g) << 2);
}
// @ts-ignore: decorator
@inline function stagedAt(g: Geometry, scratch: usize): usize {
  return paddedAt(g, scratch) + align(<usize>(paddedLen(g) + MR) << 2);
}
// @ts-ignore: decorator
@inline function sumsAt(g: Geometry, filters: i32, scratch: usize): usize {
  return stagedAt(g, scratch) + align(<usize>(filterBlocks(filters) * flatLen(g) * NF) << 2);
}
// @ts-ignore: decorator
@inline function tileAt(g: Geometry, filters: i32, scratch: usize): usize {
  return sumsAt(g, filters, scratch) + align(<usize>(groups(g) * 3 * filterBlocks(filters) * NF) << 2);
}

/** Bytes of scratch the direct dW kernel needs for one call (its images share the sums). */
export function directWeightScratchBytes(g: Geometry, filters: i32): usize {
  return tileAt(g, filters, 0) + (<usize>(6 * NF) << 2);
}

/**
 * tile[6 × 8] = the sums over len pixels of dy (8 filters a pixel) × x at xa + {0, 4, 8} and
 * xb + {0, 4, 8} (one pixel further a step). The caller adds the tile to the sums: adding them
 * here, after the loop, made V8 spill accumulators inside it (22 against 47 GFLOPS).
 */
export function weightTile2(len: i32, xa: usize, xb: usize, dy: usize, tile: usize): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0); let c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0); let c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0); let c51 = f32x4.splat(0);
  const end = dy + (<usize>len << 5);
  const delta = xb - xa;
  for (; dy < end; dy += 32) {
    const d0 = v128.load(dy);
    const d1 = v128.load(dy, 16);
    let a = v128.load32_splat(xa);
    c00 = madd(a, d0, c00); c01 = madd(a, d1, c01);
    a = v128.load32_splat(xa, 4);
    c10 = madd(a, d0, c10); c11 = madd(a, d1, c11);
    a = v128.load32_splat(xa, 8);
    c20 = madd(a, d0, c20); c21 = madd(a, d1, c21);
    const xb2 = xa + delta;
    a = v128.load32_splat(xb2);
    c30 = madd(a, d0, c30); c31 = madd(a, d1, c31);
    a = v128.load32_splat(xb2, 4);
    c40 = madd(a, d0, c40); c41 = madd(a, d1, c41);
    a = v128.load32_splat(xb2, 8);
    c50 = madd(a, d0, c50); c51 = madd(a, d1, c51);
    xa += 4;
  }
  v128.store(tile, c00, 0); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  v128.store(tile, c40, 128); v128.store(tile, c41, 144);
  v128.store(tile, c50, 160); v128.store(tile, c51, 176);
}

/** weightTile2 for one group (the plain build: mul + add needs a register more per step). */
export function weightTile1(len: i32, xa: usize, dy: usize, tile: usize): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  for (let q = 0; q < len; q++) {
    const d0 = v128.load(dy);
    const d1 = v128.load(dy, 16);
    let a = v128.load32_splat(xa);
    c00 = madd(a, d0, c00); c01 = madd(a, d1, c01);
    a = v128.load32_splat(xa, 4);
    c10 = madd(a, d0, c10); c11 = madd(a, d1, c11);
    a = v128.load32_splat(xa, 8);
    c20 = madd(a, d0, c20); c21 = madd(a, d1, c21);
    dy += 32;
    xa += 4;
  }
  v128.store(tile, c00, 0); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
}

/** row[0..8) += (lo, hi). */
// @ts-ignore: decorator
@inline function addRow(row: usize, lo: v128, hi: v128): void {
  v128.store(row, f32x4.add(v128.load(row), lo));
  v128.store(row, f32x4.add(v128.load(row, 16), hi), 16);
}

/** Once per call: each tap group's byte offset from a window origin, and zeroed sums. */
export function prepareWeights(g: Geometry, filters: i32, scratch: usize): void {
  const wp = g.w + 2 * g.padW;
  const hp = g.h + 2 * g.padH;
  const gw = groupsPerRow(g);
  let k = 0;
  for (let ch = 0; ch < g.c; ch++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < gw; j++, k++) store<i32>(scratch + (<usize>k << 2), ((ch * hp + i) * wp + 3 * j) << 2);
    }
  }
  const sums = sumsAt(g, filters, scratch);
  memory.fill(sums, 0, tileAt(g, filters, scratch) - sums);
}

/**
 * Stages one image's dy (F × oh × ow) as blocks of 8 filters per flat position, zeros elsewhere:
 * four filters × four pixels at a time by a 4×4 transpose, the rest (a row's last pixels, a last
 * group of fewer than four filters) one by one.
 */
function stageDy(dyn: usize, g: Geometry, filters: i32, staged: usize): void {
  const ow = g.ow;
  const wp = g.w + 2 * g.padW;
  const p = g.oh * ow;
  const blockBytes = <usize>(flatLen(g) * NF) << 2;
  const planeBytes = <usize>p << 2;
  memory.fill(staged, 0, <usize>filterBlocks(filters) * blockBytes);
  let f = 0;
  for (; f + 4 <= filters; f += 4) {
    const block = staged + <usize>(f / NF) * blockBytes + (<usize>(f % NF) << 2);
    const src = dyn + <usize>f * planeBytes;
    for (let y = 0; y < g.oh; y++) {
      const row = src + (<usize>(y * ow) << 2);
      const dst = block + (<usize>(y * wp * NF) << 2);
      let x = 0;
      for (; x + 4 <= ow; x += 4) {
        const at = row + (<usize>x << 2);
        transpose4(v128.load(at), v128.load(at + planeBytes), v128.load(at + 2 * planeBytes), v128.load(at + 3 * planeBytes),
          dst + (<usize>(x * NF) << 2), NF * 4);
      }
      for (; x < ow; x++) {
        for (let l = 0; l < 4; l++) {
          store<f32>(dst + (<usize>(x * NF + l) << 2), load<f32>(row + <usize>l * planeBytes + (<usize>x << 2)));
        }
      }
    }
  }
  for (; f < filters; f++) {
    const block = staged + <usize>(f / NF) * blockBytes + (<usize>(f % NF) << 2);
    const src = dyn + <usize>f * planeBytes;
    for (let y = 0; y < g.oh; y++) {
      for (let x = 0; x < ow; x++) {
        store<f32>(block + (<usize>((y * wp + x) * NF) << 2), load<f32>(src + (<usize>(y * ow + x) << 2)));
      }
    }
  }
}

/** Adds one image's weight gradient to the call's dWᵀ sums (after prepareWeights). */
export function directWeightImage(x: usize, dyn: usize, g: Geometry, filters: i32, scratch: usize): void {
  const padded = paddedAt(g, scratch);
  const staged = stagedAt(g, scratch);
  const sums = sumsAt(g, filters, scratch);
  const tile = tileAt(g, filters, scratch);
  padImage(x, g, padded);
  stageDy(dyn, g, filters, staged);
  const len = flatLen(g);
  const gs = groups(g);
  const ld = <usize>(filterBlocks(filters) * NF) << 2; // one dWᵀ row: every filter of one tap
  for (let b = 0; b < filterBlocks(filters); b++) {
    const dy = staged + (<usize>(b * len * NF) << 2);
    const column = <usize>(b * NF) << 2;
    for (let k = 0; k < gs;) {
      const xa = padded + <usize>load<i32>(scratch + (<usize>k << 2));
      // two groups a tile in the relaxed build; an odd last group goes alone
      const pair = MR == 6 && k + 1 < gs;
      if (pair) weightTile2(len, xa, padded + <usize>load<i32>(scratch + (<usize>(k + 1) << 2)), dy, tile);
      else weightTile1(len, xa, dy, tile);
      const rows = pair ? 6 : 3;
      const a0 = sums + <usize>(3 * k) * ld + column;
      for (let r = 0; r < rows; r++) {
        const t = tile + (<usize>(r * NF) << 2);
        addRow(a0 + <usize>r * ld, v128.load(t), v128.load(t, 16));
      }
      k += pair ? 2 : 1;
    }
  }
}

/** Writes the call's sums as dw (F × CKK), dropping the taps past kw. */
export function finishWeights(g: Geometry, filters: i32, dw: usize, scratch: usize): void {
  const sums = sumsAt(g, filters, scratch);
  const ld = filterBlocks(filters) * NF;
  const rowTaps = 3 * groupsPerRow(g);
  const ckk = g.c * g.kh * g.kw;
  for (let f = 0; f < filters; f++) {
    let t = 0;
    for (let r = 0; r < g.c * g.kh; r++) {
      for (let j = 0; j < g.kw; j++, t++) {
        store<f32>(dw + (<usize>(f * ckk + t) << 2), load<f32>(sums + (<usize>((r * rowTaps + j) * ld + f) << 2)));
      }
    }
  }
}
