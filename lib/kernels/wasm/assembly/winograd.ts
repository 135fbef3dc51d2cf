/**
 * Winograd F(4×4, 3×3) convolution (stride 1, 3×3 windows; Lavin & Gray 2015), for forward
 * passes and for dx (the convolution of dy with the flipped weights): each 4×4 block of output
 * pixels (a tile) comes from a 6×6 input patch with 36 products per (channel, filter) pair
 * instead of 144. Per group of images (enough that the tiles fill whole register tiles, see
 * groupImages): the images are zero-padded, every patch is transformed (V = Bᵀ d B, four tiles
 * per SIMD vector), and block by block of MR tiles the 36 transformed points become 36 small
 * matrix products M_ξ = V_ξ · U_ξ on the direct kernel's register tile (MR tiles × 8 filters),
 * folded back at once (Y = Aᵀ M A) with the bias and the ReLU. U = G g Gᵀ is computed once per
 * call, in float64. Sums are reassociated, so results differ from the direct kernel by rounding
 * (1e-6 to 1e-5 of Σ|w·x|).
 */
import { Geometry } from './geometry';
import { MR } from './tile';
import { NF, align, directTile5, directTile6, padInto } from './direct';
import { madd, storePairs, transpose4 } from './simd';

/** Points of a transformed 6×6 patch. */
export const XI: i32 = 36;

// @ts-ignore: decorator
@inline export function tilesDown(g: Geometry): i32 {
  return (g.oh + 3) >> 2;
}
// @ts-ignore: decorator
@inline export function tilesAcross(g: Geometry): i32 {
  return (g.ow + 3) >> 2;
}
/** Tiles of one image. */
// @ts-ignore: decorator
@inline export function imageTiles(g: Geometry): i32 {
  return tilesDown(g) * tilesAcross(g);
}
/**
 * Images transformed and multiplied together: the fewest whose tiles fill whole MR-tile blocks
 * (DeepConvNet's 8×8 outputs have 4 tiles: 3 images make 2 blocks instead of 3 blocks with 2
 * tiles wasted in each), unless that would pass 96 tiles (V should stay in L2).
 */
export function groupImages(g: Geometry): i32 {
  const t = imageTiles(g);
  let a = t;
  let b = MR;
  while (b != 0) { const r = a % b; a = b; b = r; } // a = gcd(t, MR)
  const images = MR / a;
  return images * t <= 96 ? images : 1;
}
/** Row and column (in tiles) of tile t of a group within its image (t / imageTiles is the image). */
// @ts-ignore: decorator
@inline function tileRow(g: Geometry, t: i32): i32 {
  return (t % imageTiles(g)) / tilesAcross(g);
}
// @ts-ignore: decorator
@inline function tileColumn(g: Geometry, t: i32): i32 {
  return (t % imageTiles(g)) % tilesAcross(g);
}
/** Blocks of MR tiles in a group of `images`. */
// @ts-ignore: decorator
@inline function tileBlocks(g: Geometry, images: i32): i32 {
  return (images * imageTiles(g) + MR - 1) / MR;
}
/** Floats per channel row of V: a full group's tiles rounded up to whole blocks and vectors. */
// @ts-ignore: decorator
@inline function tileStride(g: Geometry): i32 {
  const images = groupImages(g);
  return max(tileBlocks(g, images) * MR, (images * imageTiles(g) + 3) & ~3);
}

// @ts-ignore: decorator
@inline function filterBlocks(filters: i32): i32 {
  return (filters + NF - 1) / NF;
}
/** Rows and columns of a padded image plane: whole 6×6 patches for every tile. */
// @ts-ignore: decorator
@inline export function paddedRows(g: Geometry): i32 {
  return 4 * tilesDown(g) + 2;
}
// @ts-ignore: decorator
@inline export function paddedCols(g: Geometry): i32 {
  return 4 * tilesAcross(g) + 2;
}

// Scratch layout: channel offsets (C i32) | U (36 · FB · C · 8) | padded images (G · C · Hp · Wp) |
// V (36 · C · TS) | M of one register tile per point (36 · MR · 8) | patch corners (TS i32) |
// transform temporaries.
// @ts-ignore: decorator
@inline function uAt(g: Geometry, scratch: usize): usize {
  return scratch + align(<usize>g.c << 2);
}
// @ts-ignore: decorator
@inline function paddedAt(g: Geometry, filters: i32, scratch: usize): usize {
  return uAt(g, scratch) + align(<usize>(XI * filterBlocks(filters) * g.c * NF) << 2);
}
// @ts-ignore: decorator
@inline function vAt(g: Geometry, filters: i32, scratch: usize): usize {
  return paddedAt(g, filters, scratch) + align(<usize>groupImages(g) * paddedImageBytes(g));
}
/** Bytes of one padded image (the last tile's patch rows are read 8 floats wide: 2 past the end). */
// @ts-ignore: decorator
@inline export function paddedImageBytes(g: Geometry): usize {
  return <usize>(paddedRows(g) * paddedCols(g) * g.c + PAD_SLACK) << 2;
}
export const PAD_SLACK: i32 = 4;
// @ts-ignore: decorator
@inline function mAt(g: Geometry, filters: i32, scratch: usize): usize {
  return vAt(g, filters, scratch) + align(<usize>(XI * g.c * tileStride(g)) << 2);
}
// @ts-ignore: decorator
@inline function cornersAt(g: Geometry, filters: i32, scratch: usize): usize {
  return mAt(g, filters, scratch) + align(<usize>(XI * MR * NF) << 2);
}
// @ts-ignore: decorator
@inline function tempAt(g: Geometry, filters: i32, scratch: usize): usize {
  return cornersAt(g, filters, scratch) + align(<usize>tileStride(g) << 2);
}
/**
 * Vectors of temporaries: a patch row pass, or a fold's column pass and tile places (36), then a
 * fold's rows (a pooled fold: two rows and the two windows' maxima and offsets, 12); or the
 * weight transform's 36 × 8 points (72) and G g (6 × 3 f64, 9).
 */
const TEMP_VECTORS: i32 = max(XI + 12, 2 * XI + 9);

/** Bytes of scratch winogradImages needs for this geometry and filter count. */
export function winogradScratchBytes(g: Geometry, filters: i32): usize {
  return tempAt(g, filters, 0) + (<usize>TEMP_VECTORS << 4);
}

/**
 * Whether this convolution runs here: stride 1, 3×3, at least 4 channels, and at most half the
 * direct kernel's products (directComputed) once the tiles are rounded up, to pay for the
 * transforms.
 */
export function prefersWinograd(g: Geometry, filters: i32, directComputed: f64): bool {
  if (g.strideH != 1 || g.strideW != 1 || g.kh != 3 || g.kw != 3 || g.c < 4 || filters <= 0) return false;
  const images = groupImages(g);
  const tiles = <f64>(tileBlocks(g, images) * MR) / <f64>images;
  const computed = <f64>XI * tiles * <f64>g.c * <f64>(filterBlocks(filters) * NF);
  return 2 * computed <= directComputed;
}

/**
 * U_ξ = (G g Gᵀ)_ξ for every filter and channel of w (F × C × 3 × 3), as 36 · FB panels of
 * C × 8 (zero past F), and the channel offsets the tile kernel reads V by. Once per call.
 */
export function prepareWinograd(w: usize, g: Geometry, filters: i32, scratch: usize): void {
  transformWeights(w, g, filters, false, scratch);
}

/**
 * As prepareWinograd, for the convolution gt that gives dx: its filter c (a channel of the
 * forward convolution) at channel f (a forward filter) and tap (i, j) weighs
 * w[f, c, 2 - i, 2 - j] (gt.c = the forward's filter count, filters = its channels).
 */
export function prepareWinogradFlipped(w: usize, gt: Geometry, filters: i32, scratch: usize): void {
  transformWeights(w, gt, filters, true, scratch);
}

/**
 * prepareWinograd's work; flipped reads w as the dx convolution's weights (see
 * prepareWinogradFlipped). Per block of 8 filters and channel, the 36 points of the 8 filters
 * are gathered in temp first, so U is written in whole 32-byte rows, not point by point 36 rows
 * apart (zeros past F included, so U needs no clearing).
 */
function transformWeights(w: usize, g: Geometry, filters: i32, flipped: bool, scratch: usize): void {
  const fb = filterBlocks(filters);
  for (let c = 0; c < g.c; c++) store<i32>(scratch + (<usize>c << 2), c * tileStride(g) * 4);
  const u = uAt(g, scratch);
  // the last block's missing tiles stay zero (never garbage that could be slow denormals)
  memory.fill(vAt(g, filters, scratch), 0, <usize>(XI * g.c * tileStride(g)) << 2);
  const xiStride = <usize>(fb * g.c * NF) << 2;
  const points = tempAt(g, filters, scratch); // 36 × 8 f32: U_ξ of one channel for a block's filters
  const gg = points + (<usize>(XI * NF) << 2); // G g: 6 × 3 f64
  for (let b = 0; b < fb; b++) {
    for (let c = 0; c < g.c; c++) {
      for (let l = 0; l < NF; l++) {
        const f = b * NF + l;
        if (f >= filters) {
          for (let xi = 0; xi < XI; xi++) store<f32>(points + (<usize>(xi * NF + l) << 2), 0);
          continue;
        }
        const src = w + (<usize>((flipped ? c * filters + f : f * g.c + c) * 9) << 2);
        // G g, column by column (G's rows applied to each column of g), then (G g) Gᵀ row by row
        for (let q = 0; q < 3; q++) {
          gTimes<f64>(<f64>load<f32>(src + tapOffset(q, flipped)), <f64>load<f32>(src + tapOffset(3 + q, flipped)),
            <f64>load<f32>(src + tapOffset(6 + q, flipped)), gg + (<usize>q << 3), 24);
        }
        for (let r = 0; r < 6; r++) {
          const row = gg + <usize>(r * 24);
          gTimes<f32>(load<f64>(row), load<f64>(row, 8), load<f64>(row, 16), points + (<usize>(6 * r * NF + l) << 2), NF * 4);
        }
      }
      const dst = u + (<usize>((b * g.c + c) * NF) << 2);
      for (let xi = 0; xi < XI; xi++) {
        const at = points + (<usize>(xi * NF) << 2);
        v128.store(dst + <usize>xi * xiStride, v128.load(at));
        v128.store(dst + <usize>xi * xiStride, v128.load(at, 16), 16);
      }
    }
  }
}

/** Byte offset of tap k (3i + j) of a 3×3 filter, or of tap (2 - i, 2 - j) when flipped. */
// @ts-ignore: decorator
@inline function tapOffset(k: i32, flipped: bool): usize {
  return <usize>(flipped ? 8 - k : k) << 2;
}

/** G (6 × 3) times (x0, x1, x2), stored as T (f64 for G g, f32 for the finished U) at dst, dst + stride, … */
// @ts-ignore: decorator
@inline function gTimes<T>(x0: f64, x1: f64, x2: f64, dst: usize, stride: usize): void {
  const sixth = 1.0 / 6;
  const s = sixth * (x0 + x2);
  const d = sixth * x1;
  const t = sixth * (0.25 * x0 + x2);
  const e = sixth * 0.5 * x1;
  store<T>(dst, <T>(0.25 * x0));
  store<T>(dst + stride, <T>(-s - d));
  store<T>(dst + 2 * stride, <T>(-s + d));
  store<T>(dst + 3 * stride, <T>(t + e));
  store<T>(dst + 4 * stride, <T>(t - e));
  store<T>(dst + 5 * stride, <T>x2);
}

/** Bᵀ (6 × 6) times (d0 … d5), lane by lane, stored at dst, dst + stride, … */
// @ts-ignore: decorator
@inline function inputPoints(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, dst: usize, stride: usize): void {
  const four = f32x4.splat(4);
  const minusFour = f32x4.splat(-4);
  const minusFive = f32x4.splat(-5);
  const two = f32x4.splat(2);
  const d4m2 = f32x4.sub(d4, d2);
  const d13 = f32x4.sub(d1, d3);
  v128.store(dst, madd(four, d0, madd(minusFive, d2, d4)));
  v128.store(dst + stride, madd(minusFour, f32x4.add(d1, d2), f32x4.add(d3, d4)));
  v128.store(dst + 2 * stride, madd(four, f32x4.sub(d1, d2), f32x4.sub(d4, d3)));
  v128.store(dst + 3 * stride, madd(f32x4.splat(-2), d13, d4m2));
  v128.store(dst + 4 * stride, madd(two, d13, d4m2));
  v128.store(dst + 5 * stride, madd(four, d1, madd(minusFive, d3, d5)));
}

/** Aᵀ (4 × 6) times (m0 … m5), lane by lane, stored at dst, dst + stride, … */
// @ts-ignore: decorator
@inline function outputPoints(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, dst: usize, stride: usize): void {
  const s12 = f32x4.add(m1, m2);
  const d12 = f32x4.sub(m1, m2);
  const s34 = f32x4.add(m3, m4);
  const d34 = f32x4.sub(m3, m4);
  v128.store(dst, f32x4.add(f32x4.add(m0, s12), s34));
  v128.store(dst + stride, madd(f32x4.splat(2), d34, d12));
  v128.store(dst + 2 * stride, madd(f32x4.splat(4), s34, s12));
  v128.store(dst + 3 * stride, madd(f32x4.splat(8), d34, f32x4.add(d12, m5)));
}

/**
 * V[ξ][channel][tile] for every tile of the group's padded images (tile t is tile t mod T of
 * image t / T), four tiles per vector: each patch row of the four tiles is read as two vectors
 * per tile (columns 0–3 and 4–7) and transposed so that the lanes are the tiles, then the rows
 * and columns are transformed. Tiles past the last (up to a whole vector) repeat it.
 */
function transformInput(g: Geometry, filters: i32, images: i32, scratch: usize): void {
  transformPatches(g, images, paddedAt(g, filters, scratch), vAt(g, filters, scratch), tileStride(g),
    cornersAt(g, filters, scratch), tempAt(g, filters, scratch));
}

/**
 * transformInput's work with the places given: `images` padded images (padInto with paddedRows
 * and paddedCols, paddedImageBytes apart) at padded; V[ξ][channel][tile] at v, `stride` floats
 * per channel row (at least the tiles rounded up to 4); corners (tiles rounded up to 4 i32s) and
 * temp (XI vectors) as scratch. Also the weight gradient's input transform (winograd-weights.ts).
 */
export function transformPatches(g: Geometry, images: i32, padded: usize, v: usize, stride: i32, corners: usize,
  temp: usize): void {
  const tiles = images * imageTiles(g);
  const wp = paddedCols(g);
  const rowBytes = <usize>wp << 2;
  const planeBytes = <usize>(paddedRows(g) * wp) << 2;
  const channelBytes = <usize>stride << 2;
  const xiStride = <usize>g.c * channelBytes;
  placePatches(g, tiles, corners);
  // channel-major, so the 36 rows of V being written each fill whole cache lines in turn
  for (let c = 0; c < g.c; c++) {
    const plane = padded + <usize>c * planeBytes;
    for (let t0 = 0; t0 < tiles; t0 += 4) {
      const q = corners + (<usize>t0 << 2);
      const o0 = plane + <usize>load<i32>(q);
      const o1 = plane + <usize>load<i32>(q, 4);
      const o2 = plane + <usize>load<i32>(q, 8);
      const o3 = plane + <usize>load<i32>(q, 12);
      for (let i = 0; i < 6; i++) {
        const r = <usize>i * rowBytes;
        patchRow(v128.load(o0 + r), v128.load(o1 + r), v128.load(o2 + r), v128.load(o3 + r),
          v128.load(o0 + r, 16), v128.load(o1 + r, 16), v128.load(o2 + r, 16), v128.load(o3 + r, 16),
          temp + (<usize>(6 * i) << 4));
      }
      const dst = v + <usize>c * channelBytes + (<usize>t0 << 2);
      for (let l = 0; l < 6; l++) {
        const s = temp + (<usize>l << 4);
        inputPoints(v128.load(s), v128.load(s, 96), v128.load(s, 192), v128.load(s, 288), v128.load(s, 384),
          v128.load(s, 480), dst + <usize>l * xiStride, <usize>6 * xiStride);
      }
    }
  }
}

/**
 * Byte offsets (in the group's padded images, channel 0) of each tile's patch corner, up to a
 * whole vector of tiles (the last tile again past the end).
 */
function placePatches(g: Geometry, tiles: i32, corners: usize): void {
  const wp = paddedCols(g);
  for (let q = 0; q < ((tiles + 3) & ~3); q++) {
    const t = min(q, tiles - 1);
    const n = t / imageTiles(g);
    store<i32>(corners + (<usize>q << 2), <i32>(<usize>n * paddedImageBytes(g)) + ((4 * tileRow(g, t) * wp + 4 * tileColumn(g, t)) << 2));
  }
}

/**
 * One patch row of four tiles (columns 0–3 in a0 … a3, 4–7 in b0 … b3, one vector per tile)
 * transposed to tiles-in-lanes and transformed: Bᵀ (the row's six columns), at dst … dst + 80.
 */
// @ts-ignore: decorator
@inline function patchRow(a0: v128, a1: v128, a2: v128, a3: v128, b0: v128, b1: v128, b2: v128, b3: v128, dst: usize): void {
  const t0 = f32x4.shuffle(a0, a1, 0, 4, 1, 5);
  const t1 = f32x4.shuffle(a0, a1, 2, 6, 3, 7);
  const t2 = f32x4.shuffle(a2, a3, 0, 4, 1, 5);
  const t3 = f32x4.shuffle(a2, a3, 2, 6, 3, 7);
  const u0 = f32x4.shuffle(b0, b1, 0, 4, 1, 5);
  const u2 = f32x4.shuffle(b2, b3, 0, 4, 1, 5);
  inputPoints(f32x4.shuffle(t0, t2, 0, 1, 4, 5), f32x4.shuffle(t0, t2, 2, 3, 6, 7), f32x4.shuffle(t1, t3, 0, 1, 4, 5),
    f32x4.shuffle(t1, t3, 2, 3, 6, 7), f32x4.shuffle(u0, u2, 0, 1, 4, 5), f32x4.shuffle(u0, u2, 2, 3, 6, 7), dst, 16);
}

/**
 * The group's outputs, block by block of MR tiles and 8 filters: the 36 products M_ξ = V_ξ · U_ξ
 * of the block (one register tile each, kept in L1), then each tile and four filters folded
 * back by foldTile, or with `pooled` by foldTilePooled (see winogradImages for out and arg).
 */
function multiplyAndFold(bias: usize, g: Geometry, filters: i32, relu: bool, out: usize, pooled: bool, arg: usize,
  argBase: i32, images: i32, scratch: usize): void {
  const fb = filterBlocks(filters);
  const tiles = images * imageTiles(g);
  const blocks = tileBlocks(g, images);
  const u = uAt(g, scratch);
  const v = vAt(g, filters, scratch);
  const m = mAt(g, filters, scratch);
  const temp = tempAt(g, filters, scratch);
  const place = temp + (<usize>FOLD_VECTORS << 4);
  const panelBytes = <usize>(g.c * NF) << 2;
  const vPointBytes = <usize>(g.c * tileStride(g)) << 2;
  const tileBytes = <usize>(MR * NF) << 2;
  const p = g.oh * g.ow;
  const planeBytes = <usize>(pooled ? (g.oh >> 1) * (g.ow >> 1) : p) << 2;
  for (let b = 0; b < blocks; b++) {
    const vb = v + (<usize>(b * MR) << 2);
    const count = min(MR, tiles - b * MR);
    placeTiles(g, filters, pooled, b * MR, count, place);
    for (let f = 0; f < fb; f++) {
      const panel = u + <usize>f * panelBytes;
      for (let xi = 0; xi < XI; xi++) {
        const at = vb + <usize>xi * vPointBytes;
        const pu = panel + <usize>(xi * fb) * panelBytes;
        if (MR == 6) directTile6(g.c, scratch, pu, at, m + <usize>xi * tileBytes);
        else directTile5(g.c, scratch, pu, at, m + <usize>xi * tileBytes);
      }
      for (let f0 = f * NF; f0 < min(filters, f * NF + NF); f0 += 4) {
        const lanes = min(4, filters - f0);
        const bv = lanes == 4 ? v128.load(bias + (<usize>f0 << 2)) : partialBias(bias, f0, lanes);
        const src = m + (<usize>(f0 - f * NF) << 2);
        const plane = <usize>f0 * planeBytes;
        for (let r = 0; r < count; r++) {
          const q = place + <usize>(r << 4);
          const tile = src + (<usize>(r * NF) << 2);
          const at = <usize>load<i32>(q);
          if (!pooled) {
            foldTile(tile, tileBytes, bv, relu, out + plane + at, load<i32>(q, 4), load<i32>(q, 8), lanes, g.ow, planeBytes, temp);
          } else if (load<i32>(q, 4) > 0 && load<i32>(q, 8) > 0) {
            foldTilePooled(tile, tileBytes, bv, relu, out + plane + at, arg == 0 ? 0 : arg + plane + at,
              argBase + f0 * p + load<i32>(q, 12), load<i32>(q, 4), load<i32>(q, 8), lanes, g.ow, p, planeBytes, temp);
          }
        }
      }
    }
  }
}

/** Vectors of the folds' temporaries (the tile-place records follow them). */
const FOLD_VECTORS: i32 = 24;

/**
 * For tiles t0 … t0 + count - 1 of the group, a 16-byte record: the byte offset of the tile's
 * first output (in filter 0's plane of its image; pooled: its first pooled output), how many of
 * its rows and columns lie inside the output (pooled: pooled rows and columns, maybe 0), and the
 * flat index of its first pixel in the group's convolution output.
 */
function placeTiles(g: Geometry, filters: i32, pooled: bool, t0: i32, count: i32, place: usize): void {
  const ph = g.oh >> 1;
  const pw = g.ow >> 1;
  for (let r = 0; r < count; r++) {
    const t = t0 + r;
    const n = t / imageTiles(g);
    const oy = 4 * tileRow(g, t);
    const ox = 4 * tileColumn(g, t);
    const q = place + <usize>(r << 4);
    if (pooled) {
      store<i32>(q, (n * filters * ph * pw + (oy >> 1) * pw + (ox >> 1)) << 2);
      store<i32>(q, min(2, ph - (oy >> 1)), 4);
      store<i32>(q, min(2, pw - (ox >> 1)), 8);
    } else {
      store<i32>(q, (n * filters * g.oh * g.ow + oy * g.ow + ox) << 2);
      store<i32>(q, min(4, g.oh - oy), 4);
      store<i32>(q, min(4, g.ow - ox), 8);
    }
    store<i32>(q, n * filters * g.oh * g.ow + oy * g.ow + ox, 12);
  }
}

/** Folds the six transformed columns (src: point 0 in M, the next points xiStride apart) into temp: Aᵀ on each. */
// @ts-ignore: decorator
@inline function foldColumns(src: usize, xiStride: usize, temp: usize): void {
  const rowStride = <usize>6 * xiStride;
  for (let l = 0; l < 6; l++) {
    const r = src + <usize>l * xiStride;
    outputPoints(v128.load(r), v128.load(r + rowStride), v128.load(r + 2 * rowStride), v128.load(r + 3 * rowStride),
      v128.load(r + 4 * rowStride), v128.load(r + 5 * rowStride), temp + (<usize>l << 4), 96);
  }
}

/**
 * Output row i of a tile whose columns foldColumns has folded into temp: (Aᵀ row) A plus the
 * bias, then max(0, ·) when relu is set, as four vectors (pixel j of filter l in lane l of the
 * j-th) at dst … dst + 48.
 */
// @ts-ignore: decorator
@inline function foldRow(temp: usize, i: i32, bv: v128, relu: bool, dst: usize): void {
  const s = temp + <usize>(96 * i);
  const m1 = v128.load(s, 16);
  const m2 = v128.load(s, 32);
  const m3 = v128.load(s, 48);
  const m4 = v128.load(s, 64);
  const s12 = f32x4.add(m1, m2);
  const d12 = f32x4.sub(m1, m2);
  const s34 = f32x4.add(m3, m4);
  const d34 = f32x4.sub(m3, m4);
  let y0 = f32x4.add(f32x4.add(f32x4.add(v128.load(s), s12), s34), bv);
  let y1 = f32x4.add(madd(f32x4.splat(2), d34, d12), bv);
  let y2 = f32x4.add(madd(f32x4.splat(4), s34, s12), bv);
  let y3 = f32x4.add(madd(f32x4.splat(8), d34, f32x4.add(d12, v128.load(s, 80))), bv);
  if (relu) {
    const zero = f32x4.splat(0);
    y0 = v128.and(y0, f32x4.gt(y0, zero));
    y1 = v128.and(y1, f32x4.gt(y1, zero));
    y2 = v128.and(y2, f32x4.gt(y2, zero));
    y3 = v128.and(y3, f32x4.gt(y3, zero));
  }
  v128.store(dst, y0);
  v128.store(dst, y1, 16);
  v128.store(dst, y2, 32);
  v128.store(dst, y3, 48);
}

/** Where foldRow leaves rows for the stores (after the column pass and the tile places). */
// @ts-ignore: decorator
@inline function rowsAt(temp: usize): usize {
  return temp + (<usize>XI << 4);
}

/**
 * One tile for `lanes` filters (src: its point 0 in M, the next points xiStride apart):
 * Y = Aᵀ M A plus the bias, then max(0, ·) when relu is set, transposed back to filter-major
 * and stored four pixels at a time at dst (one by one for the rows × cols corner at the right
 * and bottom edges, or past F).
 */
function foldTile(src: usize, xiStride: usize, bv: v128, relu: bool, dst: usize, rows: i32, cols: i32, lanes: i32,
  ow: i32, planeBytes: usize, temp: usize): void {
  foldColumns(src, xiStride, temp);
  const full = lanes == 4 && rows == 4 && cols == 4;
  const rowBytes = <usize>ow << 2;
  const e = rowsAt(temp);
  for (let i = 0; i < rows; i++) {
    foldRow(temp, i, bv, relu, e);
    const d = dst + <usize>i * rowBytes;
    if (full) {
      transpose4(v128.load(e), v128.load(e, 16), v128.load(e, 32), v128.load(e, 48), d, planeBytes);
      continue;
    }
    // the edge: lane l of vector j is pixel j of filter l
    for (let l = 0; l < lanes; l++) {
      for (let j = 0; j < cols; j++) store<f32>(d + <usize>l * planeBytes + (<usize>j << 2), load<f32>(e + (<usize>(4 * j + l) << 2)));
    }
  }
}

/**
 * foldTile followed by 2×2 max pooling: pooled rows × cols (1 or 2 each) outputs per filter at
 * dst (pooled rows pw apart, planes planeBytes apart) and, unless arg is 0, at arg the flat index
 * of each maximum: `index` (the tile's first pixel in filter f0's plane) plus the pixel's offset,
 * plus p per filter. Within a window the first maximum in row-major order wins, like maxPool.
 */
function foldTilePooled(src: usize, xiStride: usize, bv: v128, relu: bool, dst: usize, arg: usize, index: i32, rows: i32,
  cols: i32, lanes: i32, ow: i32, p: i32, planeBytes: usize, temp: usize): void {
  foldColumns(src, xiStride, temp);
  const e = rowsAt(temp);
  const windows = e + 128;
  const pooledRowBytes = <usize>(ow >> 1) << 2;
  const full = lanes == 4 && cols == 2;
  const filterIndex = i32x4.add(i32x4.splat(index), i32x4(0, p, 2 * p, 3 * p));
  for (let r = 0; r < rows; r++) {
    foldRow(temp, 2 * r, bv, relu, e);
    foldRow(temp, 2 * r + 1, bv, relu, e + 64);
    const top = 2 * r * ow;
    windowMax(v128.load(e), v128.load(e, 16), v128.load(e, 64), v128.load(e, 80), top, ow, windows);
    windowMax(v128.load(e, 32), v128.load(e, 48), v128.load(e, 96), v128.load(e, 112), top + 2, ow, windows + 32);
    const d = dst + <usize>r * pooledRowBytes;
    const a = arg + <usize>r * pooledRowBytes;
    if (full) {
      storePairs(v128.load(windows), v128.load(windows, 32), d, planeBytes);
      if (arg != 0) {
        storePairs(i32x4.add(filterIndex, v128.load(windows, 16)), i32x4.add(filterIndex, v128.load(windows, 48)), a, planeBytes);
      }
      continue;
    }
    // the edge: window q's maximum of filter l is lane l of its vector
    for (let l = 0; l < lanes; l++) {
      for (let q = 0; q < cols; q++) {
        const w = windows + <usize>(32 * q + 4 * l);
        store<f32>(d + <usize>l * planeBytes + (<usize>q << 2), load<f32>(w));
        if (arg != 0) store<i32>(a + <usize>l * planeBytes + (<usize>q << 2), index + l * p + load<i32>(w, 16));
      }
    }
  }
}

/**
 * The 2×2 window with pixels a, b (top row) and c, d, lane by lane: its first maximum in that
 * order (strictly greater replaces, so a NaN in first place stays, as in maxPool) at dst and
 * that pixel's offset from the tile's first (at, at + 1, at + ow, at + ow + 1) at dst + 16.
 */
// @ts-ignore: decorator
@inline function windowMax(a: v128, b: v128, c: v128, d: v128, at: i32, ow: i32, dst: usize): void {
  let best = a;
  let where = i32x4.splat(at);
  let take = f32x4.gt(b, best);
  best = v128.bitselect(b, best, take);
  where = v128.bitselect(i32x4.splat(at + 1), where, take);
  take = f32x4.gt(c, best);
  best = v128.bitselect(c, best, take);
  where = v128.bitselect(i32x4.splat(at + ow), where, take);
  take = f32x4.gt(d, best);
  best = v128.bitselect(d, best, take);
  where = v128.bitselect(i32x4.splat(at + ow + 1), where, take);
  v128.store(dst, best);
  v128.store(dst, where, 16);
}


/** Bias lanes f0 … f0 + lanes - 1, zero past them. */
function partialBias(bias: usize, f0: i32, lanes: i32): v128 {
  let v = f32x4.splat(0);
  if (lanes > 0) v = f32x4.replace_lane(v, 0, load<f32>(bias + (<usize>f0 << 2)));
  if (lanes > 1) v = f32x4.replace_lane(v, 1, load<f32>(bias + (<usize>(f0 + 1) << 2)));
  if (lanes > 2) v = f32x4.replace_lane(v, 2, load<f32>(bias + (<usize>(f0 + 2) << 2)));
  return v;
}

/**
 * `images` (at most groupImages) consecutive images: bias + W ⊛ x, then max(0, ·) when relu is
 * set, by F(4×4, 3×3), into out (images × F × oh × ow). With `pooled`, out gets its 2×2 max
 * pooling instead (images × F × ⌊oh/2⌋ × ⌊ow/2⌋) and, unless arg is 0, arg (laid out as out)
 * each maximum's flat index in the convolution output plus argBase. prepareWinograd() has
 * filled U and the channel offsets; scratch is as winogradScratchBytes.
 */
export function winogradImages(x: usize, bias: usize, g: Geometry, filters: i32, relu: bool, out: usize, pooled: bool,
  arg: usize, argBase: i32, images: i32, scratch: usize): void {
  const padded = paddedAt(g, filters, scratch);
  const imageBytes = <usize>(g.c * g.h * g.w) << 2;
  for (let n = 0; n < images; n++) {
    padInto(x + <usize>n * imageBytes, g, paddedRows(g), paddedCols(g), PAD_SLACK, padded + <usize>n * paddedImageBytes(g));
  }
  transformInput(g, filters, images, scratch);
  multiplyAndFold(bias, g, filters, relu, out, pooled, arg, argBase, images, scratch);
}
