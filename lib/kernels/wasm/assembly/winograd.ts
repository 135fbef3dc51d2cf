/**
 * Winograd F(4×4, 3×3) forward convolution (stride 1, 3×3 windows; Lavin & Gray 2015): each
 * 4×4 block of output pixels (a tile) comes from a 6×6 input patch with 36 products per
 * (channel, filter) pair instead of 144. Per group of images (enough that the tiles fill whole
 * register tiles, see groupImages): the padded images are laid out channel-last, every patch is
 * transformed (V = Bᵀ d B, four channels per SIMD step, then transposed to four tiles per
 * vector), the 36 transformed points are 36 small matrix products M_ξ = V_ξ · U_ξ run by the
 * direct kernel's register tile (MR tiles × 8 filters), and each M is folded back
 * (Y = Aᵀ M A) with the bias and the ReLU. U = G g Gᵀ is
 * computed once per call, in float64. Sums are reassociated, so results differ from the direct
 * kernel by rounding (a relative 1e-6 to 1e-5 of the output's scale).
 */
import { Geometry } from './geometry';
import { MR } from './tile';
import { NF, align, directTile5, directTile6 } from './direct';
import { transpose4 } from './simd';

/** Points of a transformed 6×6 patch. */
const XI: i32 = 36;

/** Channels rounded up to whole SIMD steps (the extra ones are zero). */
// @ts-ignore: decorator
@inline function channels4(g: Geometry): i32 {
  return (g.c + 3) & ~3;
}
// @ts-ignore: decorator
@inline function tilesDown(g: Geometry): i32 {
  return (g.oh + 3) >> 2;
}
// @ts-ignore: decorator
@inline function tilesAcross(g: Geometry): i32 {
  return (g.ow + 3) >> 2;
}
/** Tiles of one image. */
// @ts-ignore: decorator
@inline function imageTiles(g: Geometry): i32 {
  return tilesDown(g) * tilesAcross(g);
}
/**
 * Images transformed and multiplied together: the fewest whose tiles fill whole MR-tile blocks
 * (DeepConvNet's 8×8 outputs have 4 tiles: 3 images make 2 blocks instead of 3 blocks with 2
 * tiles wasted in each), unless that would pass 96 tiles (V and M should stay in L2).
 */
export function groupImages(g: Geometry): i32 {
  const t = imageTiles(g);
  let a = t;
  let b = MR;
  while (b != 0) { const r = a % b; a = b; b = r; } // a = gcd(t, MR)
  const images = MR / a;
  return images * t <= 96 ? images : 1;
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
/** Rows and columns of the padded, channel-last image: whole 6×6 patches for every tile. */
// @ts-ignore: decorator
@inline function paddedRows(g: Geometry): i32 {
  return 4 * tilesDown(g) + 2;
}
// @ts-ignore: decorator
@inline function paddedCols(g: Geometry): i32 {
  return 4 * tilesAcross(g) + 2;
}

// Scratch layout: channel offsets (C4 i32) | U (36 · FB · C4 · 8) | padded images (G · Hp · Wp · C4) |
// V (36 · C4 · TS) | M of one register tile per point (36 · MR · 8) | transform temporaries.
// @ts-ignore: decorator
@inline function uAt(g: Geometry, scratch: usize): usize {
  return scratch + align(<usize>channels4(g) << 2);
}
// @ts-ignore: decorator
@inline function paddedAt(g: Geometry, filters: i32, scratch: usize): usize {
  return uAt(g, scratch) + align(<usize>(XI * filterBlocks(filters) * channels4(g) * NF) << 2);
}
// @ts-ignore: decorator
@inline function vAt(g: Geometry, filters: i32, scratch: usize): usize {
  return paddedAt(g, filters, scratch) + align(<usize>groupImages(g) * paddedImageBytes(g));
}
/** Bytes of one padded, channel-last image. */
// @ts-ignore: decorator
@inline function paddedImageBytes(g: Geometry): usize {
  return <usize>(paddedRows(g) * paddedCols(g) * channels4(g)) << 2;
}
// @ts-ignore: decorator
@inline function mAt(g: Geometry, filters: i32, scratch: usize): usize {
  return vAt(g, filters, scratch) + align(<usize>(XI * channels4(g) * tileStride(g)) << 2);
}
// @ts-ignore: decorator
@inline function tempAt(g: Geometry, filters: i32, scratch: usize): usize {
  return mAt(g, filters, scratch) + align(<usize>(XI * MR * NF) << 2);
}
/** Vectors of temporaries: one patch's row pass (36), then four tiles' points (4 · 36). */
const TEMP_VECTORS: i32 = 5 * XI;

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
  const computed = <f64>XI * tiles * <f64>channels4(g) * <f64>(filterBlocks(filters) * NF);
  return 2 * computed <= directComputed;
}

/**
 * U_ξ = (G g Gᵀ)_ξ for every filter and channel of w (F × C × 3 × 3), as 36 · FB panels of
 * C4 × 8 (zero past F and C), and the channel offsets the tile kernel reads V by. Once per call.
 */
export function prepareWinograd(w: usize, g: Geometry, filters: i32, scratch: usize): void {
  const c4 = channels4(g);
  const fb = filterBlocks(filters);
  for (let c = 0; c < c4; c++) store<i32>(scratch + (<usize>c << 2), c * tileStride(g) * 4);
  const u = uAt(g, scratch);
  memory.fill(u, 0, <usize>(XI * fb * c4 * NF) << 2);
  // the last block's missing tiles stay zero (never garbage that could be slow denormals)
  memory.fill(vAt(g, filters, scratch), 0, <usize>(XI * c4 * tileStride(g)) << 2);
  const xiStride = <usize>(fb * c4 * NF) << 2;
  for (let f = 0; f < filters; f++) {
    for (let c = 0; c < g.c; c++) {
      const src = w + (<usize>((f * g.c + c) * 9) << 2);
      const dst = u + (<usize>(((f / NF) * c4 + c) * NF + f % NF) << 2);
      for (let a = 0; a < 6; a++) {
        // row a of G g (3 values), then times Gᵀ
        const r0 = gRow(a, <f64>load<f32>(src), <f64>load<f32>(src, 12), <f64>load<f32>(src, 24));
        const r1 = gRow(a, <f64>load<f32>(src, 4), <f64>load<f32>(src, 16), <f64>load<f32>(src, 28));
        const r2 = gRow(a, <f64>load<f32>(src, 8), <f64>load<f32>(src, 20), <f64>load<f32>(src, 32));
        for (let b = 0; b < 6; b++) store<f32>(dst + <usize>(6 * a + b) * xiStride, <f32>gRow(b, r0, r1, r2));
      }
    }
  }
}

/** Row a of G (6 × 3) times (x0, x1, x2). */
// @ts-ignore: decorator
@inline function gRow(a: i32, x0: f64, x1: f64, x2: f64): f64 {
  const sixth = 1.0 / 6;
  switch (a) {
    case 0: return 0.25 * x0;
    case 1: return -sixth * (x0 + x1 + x2);
    case 2: return -sixth * (x0 - x1 + x2);
    case 3: return sixth * (0.25 * x0 + 0.5 * x1 + x2);
    case 4: return sixth * (0.25 * x0 - 0.5 * x1 + x2);
    default: return x2;
  }
}

/** Bᵀ (6 × 6) times (d0 … d5), lane by lane, stored at dst, dst + stride, … */
// @ts-ignore: decorator
@inline function inputPoints(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, dst: usize, stride: usize): void {
  const four = f32x4.splat(4);
  const five = f32x4.splat(5);
  const two = f32x4.splat(2);
  const d4m2 = f32x4.sub(d4, d2);
  const d13 = f32x4.mul(two, f32x4.sub(d1, d3));
  const s12 = f32x4.add(d1, d2);
  const t34 = f32x4.add(d3, d4);
  const u12 = f32x4.sub(d1, d2);
  const u43 = f32x4.sub(d4, d3);
  v128.store(dst, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
  v128.store(dst + stride, f32x4.sub(t34, f32x4.mul(four, s12)));
  v128.store(dst + 2 * stride, f32x4.add(f32x4.mul(four, u12), u43));
  v128.store(dst + 3 * stride, f32x4.sub(d4m2, d13));
  v128.store(dst + 4 * stride, f32x4.add(d4m2, d13));
  v128.store(dst + 5 * stride, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
}

/** Aᵀ (4 × 6) times (m0 … m5), lane by lane, stored at dst, dst + stride, … */
// @ts-ignore: decorator
@inline function outputPoints(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, dst: usize, stride: usize): void {
  const s12 = f32x4.add(m1, m2);
  const d12 = f32x4.sub(m1, m2);
  const s34 = f32x4.add(m3, m4);
  const d34 = f32x4.sub(m3, m4);
  v128.store(dst, f32x4.add(f32x4.add(m0, s12), s34));
  v128.store(dst + stride, f32x4.add(d12, f32x4.mul(f32x4.splat(2), d34)));
  v128.store(dst + 2 * stride, f32x4.add(s12, f32x4.mul(f32x4.splat(4), s34)));
  v128.store(dst + 3 * stride, f32x4.add(f32x4.add(d12, f32x4.mul(f32x4.splat(8), d34)), m5));
}

/**
 * Copies one image (c × h × w) into the zeroed, channel-last padded buffer (Hp × Wp × C4):
 * 4 channels × 4 pixels per transpose, the last pixels and channels one by one.
 */
function padChannelLast(x: usize, g: Geometry, padded: usize): void {
  const c4 = channels4(g);
  const wp = paddedCols(g);
  memory.fill(padded, 0, <usize>(paddedRows(g) * wp * c4) << 2);
  const planeBytes = <usize>(g.h * g.w) << 2;
  const pixelBytes = <usize>c4 << 2;
  const w4 = g.w & ~3;
  for (let y = 0; y < g.h; y++) {
    const src = x + (<usize>(y * g.w) << 2);
    const dst = padded + (<usize>(((y + g.padH) * wp + g.padW) * c4) << 2);
    let c = 0;
    for (; c + 4 <= g.c; c += 4) {
      const s = src + <usize>c * planeBytes;
      const d = dst + (<usize>c << 2);
      for (let xx = 0; xx < w4; xx += 4) {
        const o = <usize>xx << 2;
        transpose4(v128.load(s + o), v128.load(s + planeBytes + o), v128.load(s + 2 * planeBytes + o),
          v128.load(s + 3 * planeBytes + o), d + <usize>xx * pixelBytes, pixelBytes);
      }
      for (let xx = w4; xx < g.w; xx++) {
        for (let l = 0; l < 4; l++) {
          store<f32>(d + <usize>xx * pixelBytes + (<usize>l << 2), load<f32>(s + <usize>l * planeBytes + (<usize>xx << 2)));
        }
      }
    }
    for (; c < g.c; c++) {
      for (let xx = 0; xx < g.w; xx++) {
        store<f32>(dst + <usize>xx * pixelBytes + (<usize>c << 2), load<f32>(src + <usize>c * planeBytes + (<usize>xx << 2)));
      }
    }
  }
}

/** The 36 points of one tile's patch (p: its corner in the padded image), four channels, into pts. */
// @ts-ignore: decorator
@inline function patchPoints(p: usize, row: usize, col: usize, temp: usize, pts: usize): void {
  for (let i = 0; i < 6; i++) {
    const r = p + <usize>i * row;
    inputPoints(v128.load(r), v128.load(r + col), v128.load(r + 2 * col), v128.load(r + 3 * col),
      v128.load(r + 4 * col), v128.load(r + 5 * col), temp + (<usize>(6 * i) << 4), 16);
  }
  for (let j = 0; j < 6; j++) {
    const s = temp + (<usize>j << 4);
    inputPoints(v128.load(s), v128.load(s, 96), v128.load(s, 192), v128.load(s, 288), v128.load(s, 384),
      v128.load(s, 480), pts + (<usize>j << 4), 96);
  }
}

/**
 * V[ξ][channel][tile] for every tile of the group's padded images (tile t is tile t mod T of
 * image t / T): four tiles × four channels at a time, each patch transformed with channels in
 * the lanes (rows, then columns), then transposed so that the lanes are the four tiles. Tiles
 * past the last (up to a whole vector) repeat it.
 */
function transformInput(g: Geometry, filters: i32, images: i32, scratch: usize): void {
  const c4 = channels4(g);
  const tw = tilesAcross(g);
  const perImage = imageTiles(g);
  const tiles = images * perImage;
  const imageBytes = paddedImageBytes(g);
  const padded = paddedAt(g, filters, scratch);
  const v = vAt(g, filters, scratch);
  const temp = tempAt(g, filters, scratch);
  const pts = temp + (<usize>XI << 4);
  const col = <usize>c4 << 2;
  const row = <usize>paddedCols(g) * col;
  const channelBytes = <usize>tileStride(g) << 2;
  const xiStride = <usize>c4 * channelBytes;
  for (let t0 = 0; t0 < tiles; t0 += 4) {
    for (let c = 0; c < c4; c += 4) {
      for (let q = 0; q < 4; q++) {
        const t = min(t0 + q, tiles - 1);
        const n = t / perImage;
        const ty = (t - n * perImage) / tw;
        const tx = t - n * perImage - ty * tw;
        const p = padded + <usize>n * imageBytes + <usize>(4 * ty) * row + <usize>(4 * tx) * col + (<usize>c << 2);
        patchPoints(p, row, col, temp, pts + <usize>(q * XI * 16));
      }
      const dst = v + <usize>c * channelBytes + (<usize>t0 << 2);
      for (let xi = 0; xi < XI; xi++) {
        const s = pts + (<usize>xi << 4);
        transpose4(v128.load(s), v128.load(s, XI * 16), v128.load(s, 2 * XI * 16), v128.load(s, 3 * XI * 16),
          dst + <usize>xi * xiStride, channelBytes);
      }
    }
  }
}

/**
 * The group's outputs (images × F × oh × ow), block by block of MR tiles and 8 filters: the 36
 * products M_ξ = V_ξ · U_ξ of the block (one register tile each, kept in L1), then each tile
 * and four filters folded back by foldTile.
 */
function multiplyAndFold(bias: usize, g: Geometry, filters: i32, relu: bool, out: usize, images: i32, scratch: usize): void {
  const c4 = channels4(g);
  const fb = filterBlocks(filters);
  const tiles = images * imageTiles(g);
  const blocks = tileBlocks(g, images);
  const u = uAt(g, scratch);
  const v = vAt(g, filters, scratch);
  const m = mAt(g, filters, scratch);
  const panelBytes = <usize>(c4 * NF) << 2;
  const vPointBytes = <usize>(c4 * tileStride(g)) << 2;
  const tileBytes = <usize>(MR * NF) << 2;
  for (let b = 0; b < blocks; b++) {
    const vb = v + (<usize>(b * MR) << 2);
    for (let f = 0; f < fb; f++) {
      const panel = u + <usize>f * panelBytes;
      for (let xi = 0; xi < XI; xi++) {
        const at = vb + <usize>xi * vPointBytes;
        const pu = panel + <usize>(xi * fb) * panelBytes;
        if (MR == 6) directTile6(c4, scratch, pu, at, m + <usize>xi * tileBytes);
        else directTile5(c4, scratch, pu, at, m + <usize>xi * tileBytes);
      }
      for (let f0 = f * NF; f0 < min(filters, f * NF + NF); f0 += 4) {
        const lanes = min(4, filters - f0);
        const bv = lanes == 4 ? v128.load(bias + (<usize>f0 << 2)) : partialBias(bias, f0, lanes);
        for (let r = 0; r < min(MR, tiles - b * MR); r++) {
          foldTile(m + (<usize>(r * NF + f0 - f * NF) << 2), tileBytes, bv, relu, g, filters, out, b * MR + r, f0, lanes, scratch);
        }
      }
    }
  }
}

/**
 * Tile t of the group for filters f0 … f0 + lanes - 1 (src: its point 0 in M, the next points
 * xiStride apart): Y = Aᵀ M A plus the bias, then max(0, ·) when relu is set; rows are
 * transposed back to filter-major and stored four pixels at a time (one by one at the right and
 * bottom edges and past F).
 */
function foldTile(src: usize, xiStride: usize, bv: v128, relu: bool, g: Geometry, filters: i32, out: usize, t: i32,
  f0: i32, lanes: i32, scratch: usize): void {
  const temp = tempAt(g, filters, scratch);
  const ys = temp + (<usize>24 << 4); // 16 vectors after the 24 row results
  const perImage = imageTiles(g);
  const tw = tilesAcross(g);
  const n = t / perImage;
  const ty = (t - n * perImage) / tw;
  const oy = 4 * ty;
  const ox = 4 * (t - n * perImage - ty * tw);
  for (let k = 0; k < 6; k++) {
    const r = src + <usize>(6 * k) * xiStride;
    outputPoints(v128.load(r), v128.load(r + xiStride), v128.load(r + 2 * xiStride), v128.load(r + 3 * xiStride),
      v128.load(r + 4 * xiStride), v128.load(r + 5 * xiStride), temp + (<usize>k << 4), 96);
  }
  // vector 6j + k of temp is row k folded to column j; fold each column's rows next
  const zero = f32x4.splat(0);
  for (let j = 0; j < 4; j++) {
    const s = temp + (<usize>(6 * j) << 4);
    outputPoints(v128.load(s), v128.load(s, 16), v128.load(s, 32), v128.load(s, 48), v128.load(s, 64),
      v128.load(s, 80), ys + (<usize>j << 4), 64);
  }
  for (let i = 0; i < 16; i++) {
    const at = ys + (<usize>i << 4);
    let y = f32x4.add(v128.load(at), bv);
    if (relu) y = v128.and(y, f32x4.gt(y, zero));
    v128.store(at, y);
  }
  const planeBytes = <usize>(g.oh * g.ow) << 2;
  const dst = out + <usize>(n * filters + f0) * planeBytes + (<usize>(oy * g.ow + ox) << 2);
  if (lanes == 4 && ox + 4 <= g.ow && oy + 4 <= g.oh) {
    for (let i = 0; i < 4; i++) {
      const row = ys + (<usize>(4 * i) << 4);
      transpose4(v128.load(row), v128.load(row, 16), v128.load(row, 32), v128.load(row, 48),
        dst + (<usize>(i * g.ow) << 2), planeBytes);
    }
  } else {
    storeEdge(ys, dst, min(4, g.oh - oy), min(4, g.ow - ox), lanes, g.ow, planeBytes);
  }
}

/** Bias lanes f0 … f0 + lanes - 1, zero past them. */
function partialBias(bias: usize, f0: i32, lanes: i32): v128 {
  let v = f32x4.splat(0);
  if (lanes > 0) v = f32x4.replace_lane(v, 0, load<f32>(bias + (<usize>f0 << 2)));
  if (lanes > 1) v = f32x4.replace_lane(v, 1, load<f32>(bias + (<usize>(f0 + 1) << 2)));
  if (lanes > 2) v = f32x4.replace_lane(v, 2, load<f32>(bias + (<usize>(f0 + 2) << 2)));
  return v;
}

/** Stores the rows × cols corner of a 4×4 tile (ys: vector 4i + j holds pixel (i, j) of 4 filters). */
function storeEdge(ys: usize, dst: usize, rows: i32, cols: i32, lanes: i32, ow: i32, planeBytes: usize): void {
  for (let l = 0; l < lanes; l++) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        store<f32>(dst + <usize>l * planeBytes + (<usize>(i * ow + j) << 2), load<f32>(ys + (<usize>((4 * i + j) * 4 + l) << 2)));
      }
    }
  }
}

/**
 * `images` (at most groupImages) consecutive images: out (images × F × oh × ow) = bias + W ⊛ x,
 * then max(0, ·) when relu is set, by F(4×4, 3×3). prepareWinograd() has filled U and the
 * channel offsets; scratch is as winogradScratchBytes.
 */
export function winogradImages(x: usize, bias: usize, g: Geometry, filters: i32, relu: bool, out: usize, images: i32,
  scratch: usize): void {
  const padded = paddedAt(g, filters, scratch);
  const imageBytes = <usize>(g.c * g.h * g.w) << 2;
  for (let n = 0; n < images; n++) padChannelLast(x + <usize>n * imageBytes, g, padded + <usize>n * paddedImageBytes(g));
  transformInput(g, filters, images, scratch);
  multiplyAndFold(bias, g, filters, relu, out, images, scratch);
}
