/**
 * Weight gradient of a 3×3 stride-1 convolution by Winograd F(4×4, 3×3), the transpose of the
 * forward algorithm (winograd.ts): the forward pass computes Y = Aᵀ [U ⊙ V] A per tile with
 * U = G g Gᵀ and V = Bᵀ d B, so dL/dU_ξ = Σ over tiles of (A dY Aᵀ)_ξ · V_ξ and dW = Gᵀ (dL/dU) G.
 * Per image, V (the forward's input transform) and Z = A dY Aᵀ (each 4×4 block of dy, four
 * tiles per SIMD vector) are laid side by side, `imagesPerFlush` images at a time; then 36
 * GEMMs M_ξ (F × C) += Z_ξ (F × K) · V_ξᵀ (K × C) sum over the tiles. At the end of a chunk,
 * dW = Gᵀ M G. 36 products per tile and (filter, channel) pair instead of 144.
 */
import { Geometry } from './geometry';
import { align, padInto } from './direct';
import { gemmInto } from './gemm';
import { madd, transpose4 } from './simd';
import {
  PAD_SLACK, XI, imageTiles, paddedCols, paddedImageBytes, paddedRows, tilesAcross, tilesDown, transformPatches,
} from './winograd';

/** Images whose tiles one flush multiplies: enough for K ≥ 128 tiles (at most 16). */
// @ts-ignore: decorator
@inline function imagesPerFlush(g: Geometry): i32 {
  return min(16, (128 + imageTiles(g) - 1) / imageTiles(g));
}
/**
 * Tile columns of V and Z: a flush's tiles, plus the last image's transform running on to a
 * whole vector of tiles (the columns past the used ones are zero in Z).
 */
// @ts-ignore: decorator
@inline function columns(g: Geometry): i32 {
  return (imagesPerFlush(g) * imageTiles(g) + 3 + 3) & ~3;
}
/** Rows and columns of one filter's dy plane padded with zeros to whole 4×4 blocks. */
// @ts-ignore: decorator
@inline function blockRows(g: Geometry): i32 {
  return 4 * tilesDown(g);
}
// @ts-ignore: decorator
@inline function blockCols(g: Geometry): i32 {
  return 4 * tilesAcross(g);
}

// Scratch layout: state (images pending, M started) | tile corners | padded image | padded dy |
// V (36 · C · K) | Z (36 · F · K) | M (36 · F · C) | temporaries (TEMP_VECTORS).
// @ts-ignore: decorator
@inline function cornersAt(scratch: usize): usize {
  return scratch + 64;
}
// @ts-ignore: decorator
@inline function paddedAt(g: Geometry, scratch: usize): usize {
  return cornersAt(scratch) + align(<usize>((imageTiles(g) + 3) & ~3) << 2);
}
// @ts-ignore: decorator
@inline function blocksAt(g: Geometry, scratch: usize): usize {
  return paddedAt(g, scratch) + align(paddedImageBytes(g));
}
// @ts-ignore: decorator
@inline function vAt(g: Geometry, filters: i32, scratch: usize): usize {
  return blocksAt(g, scratch) + align(<usize>(filters * blockRows(g) * blockCols(g)) << 2);
}
// @ts-ignore: decorator
@inline function zAt(g: Geometry, filters: i32, scratch: usize): usize {
  return vAt(g, filters, scratch) + align(<usize>(XI * g.c * columns(g)) << 2);
}
// @ts-ignore: decorator
@inline function mAt(g: Geometry, filters: i32, scratch: usize): usize {
  return zAt(g, filters, scratch) + align(<usize>(XI * filters * columns(g)) << 2);
}
// @ts-ignore: decorator
@inline function tempAt(g: Geometry, filters: i32, scratch: usize): usize {
  return mAt(g, filters, scratch) + align(<usize>(XI * filters * g.c) << 2);
}
/** Vectors of temporaries: the input transform's 36, the gradient transform's 16 + 24, or Gᵀ M G's 18 + 9. */
const TEMP_VECTORS: i32 = 40;

/** Bytes of scratch the Winograd weight gradient needs. */
export function winogradWeightScratchBytes(g: Geometry, filters: i32): usize {
  return tempAt(g, filters, 0) + (<usize>TEMP_VECTORS << 4);
}

/**
 * Whether this weight gradient runs here: 3×3, stride 1, and channels and filters enough to pay
 * for the transforms (V costs per channel, Z per filter, the products per pair): C·F ≥ 16 (C + F).
 * Side by side with the direct kernel (dW alone, one thread), DeepConvNet's 32- and 64-channel
 * layers took 0.57–0.75× the time; its 16-channel ones about 1.0× and 1.1×, so those stay direct.
 */
export function prefersWinogradWeights(g: Geometry, filters: i32): bool {
  return g.strideH == 1 && g.strideW == 1 && g.kh == 3 && g.kw == 3 && g.c * filters >= 16 * (g.c + filters);
}

/** Starts a chunk's sums: nothing pending, M not started. */
export function startWinogradWeights(scratch: usize): void {
  store<i32>(scratch, 0);
  store<i32>(scratch, 0, 4);
}

/** Adds one image (x: C × H × W, dy: F × oh × ow) to the chunk's sums (gemmScratch: gemmScratchBytes). */
export function winogradWeightImage(x: usize, dy: usize, g: Geometry, filters: i32, scratch: usize, gemmScratch: usize): void {
  const pending = load<i32>(scratch);
  const column = pending * imageTiles(g);
  const padded = paddedAt(g, scratch);
  padInto(x, g, paddedRows(g), paddedCols(g), PAD_SLACK, padded);
  transformPatches(g, 1, padded, vAt(g, filters, scratch) + (<usize>column << 2), columns(g), cornersAt(scratch),
    tempAt(g, filters, scratch));
  transformGradient(dy, g, filters, zAt(g, filters, scratch) + (<usize>column << 2), scratch);
  store<i32>(scratch, pending + 1);
  if (pending + 1 == imagesPerFlush(g)) flush(g, filters, scratch, gemmScratch);
}

/**
 * The pending images' sums into M: the columns of Z and V past their tiles are zeroed (so what
 * earlier images left there adds exactly +0, the same bits whichever thread ran before), then
 * M_ξ (+)= Z_ξ · V_ξᵀ for the 36 points.
 */
function flush(g: Geometry, filters: i32, scratch: usize, gemmScratch: usize): void {
  const k = columns(g);
  const used = load<i32>(scratch) * imageTiles(g);
  const z = zAt(g, filters, scratch);
  const v = vAt(g, filters, scratch);
  const m = mAt(g, filters, scratch);
  for (let row = 0; row < XI * filters; row++) memory.fill(z + (<usize>(row * k + used) << 2), 0, <usize>(k - used) << 2);
  for (let row = 0; row < XI * g.c; row++) memory.fill(v + (<usize>(row * k + used) << 2), 0, <usize>(k - used) << 2);
  const started = load<i32>(scratch, 4) != 0;
  for (let xi = 0; xi < XI; xi++) {
    gemmInto(false, true, filters, g.c, k, z + (<usize>(xi * filters * k) << 2), v + (<usize>(xi * g.c * k) << 2),
      m + (<usize>(xi * filters * g.c) << 2), 0, filters, 0, g.c, gemmScratch, started);
  }
  store<i32>(scratch, 0);
  store<i32>(scratch, 1, 4);
}

/**
 * Z[ξ][f][column + t] = (A dY_t Aᵀ)_ξ for every 4×4 block t of each filter's dy plane (zero past
 * oh and ow), four blocks per vector: each block row is loaded as one vector per block and
 * transposed so that the lanes are the blocks, then the rows and columns are transformed. Blocks
 * past the last (up to a whole vector) repeat it. z is Z's column 0 plus `column`.
 */
function transformGradient(dy: usize, g: Geometry, filters: i32, z: usize, scratch: usize): void {
  const blocks = blocksAt(g, scratch);
  const rows = blockRows(g);
  const cols = blockCols(g);
  const planeBytes = <usize>(rows * cols) << 2;
  const rowBytes = <usize>cols << 2;
  if (rows != g.oh || cols != g.ow) memory.fill(blocks, 0, <usize>filters * planeBytes);
  for (let f = 0; f < filters; f++) {
    for (let y = 0; y < g.oh; y++) {
      memory.copy(blocks + <usize>f * planeBytes + <usize>y * rowBytes, dy + (<usize>((f * g.oh + y) * g.ow) << 2), <usize>g.ow << 2);
    }
  }
  const tiles = imageTiles(g);
  const across = tilesAcross(g);
  const k = columns(g);
  const xiStride = <usize>(filters * k) << 2;
  const d = tempAt(g, filters, scratch); // D[i][j]: 16 vectors, then A along i: E[a][j], 24 vectors
  const e = d + 256;
  for (let t0 = 0; t0 < tiles; t0 += 4) {
    const c0 = blockCorner(min(t0, tiles - 1), across, rowBytes);
    const c1 = blockCorner(min(t0 + 1, tiles - 1), across, rowBytes);
    const c2 = blockCorner(min(t0 + 2, tiles - 1), across, rowBytes);
    const c3 = blockCorner(min(t0 + 3, tiles - 1), across, rowBytes);
    for (let f = 0; f < filters; f++) {
      const plane = blocks + <usize>f * planeBytes;
      for (let i = 0; i < 4; i++) {
        const r = plane + <usize>i * rowBytes;
        transpose4(v128.load(r + c0), v128.load(r + c1), v128.load(r + c2), v128.load(r + c3), d + (<usize>(4 * i) << 4), 16);
      }
      for (let j = 0; j < 4; j++) {
        const s = d + (<usize>j << 4);
        gradientPoints(v128.load(s), v128.load(s, 64), v128.load(s, 128), v128.load(s, 192), e + (<usize>j << 4), 64);
      }
      const dst = z + (<usize>(f * k + t0) << 2);
      for (let a = 0; a < 6; a++) {
        const s = e + (<usize>(4 * a) << 4);
        gradientPoints(v128.load(s), v128.load(s, 16), v128.load(s, 32), v128.load(s, 48), dst + <usize>(6 * a) * xiStride, xiStride);
      }
    }
  }
}

/** Byte offset of block t's first pixel in a padded dy plane. */
// @ts-ignore: decorator
@inline function blockCorner(t: i32, across: i32, rowBytes: usize): usize {
  return <usize>(t / across) * 4 * rowBytes + (<usize>(4 * (t % across)) << 2);
}

/** A (6 × 4) times (d0 … d3), lane by lane, stored at dst, dst + stride, … */
// @ts-ignore: decorator
@inline function gradientPoints(d0: v128, d1: v128, d2: v128, d3: v128, dst: usize, stride: usize): void {
  const s02 = f32x4.add(d0, d2);
  const s13 = f32x4.add(d1, d3);
  const d0p4 = madd(f32x4.splat(4), d2, d0);
  const d1p4 = madd(f32x4.splat(4), d3, d1);
  v128.store(dst, d0);
  v128.store(dst + stride, f32x4.add(s02, s13));
  v128.store(dst + 2 * stride, f32x4.sub(s02, s13));
  v128.store(dst + 3 * stride, madd(f32x4.splat(2), d1p4, d0p4));
  v128.store(dst + 4 * stride, madd(f32x4.splat(-2), d1p4, d0p4));
  v128.store(dst + 5 * stride, d3);
}

/**
 * Ends a chunk: dw (F × C × 3 × 3, overwritten) = Gᵀ M G of its sums, four (filter, channel)
 * pairs per vector (M_ξ holds the pairs contiguously), then any last pairs one by one.
 */
export function finishWinogradWeights(g: Geometry, filters: i32, dw: usize, scratch: usize, gemmScratch: usize): void {
  if (load<i32>(scratch) > 0) flush(g, filters, scratch, gemmScratch);
  if (load<i32>(scratch, 4) == 0) {
    memory.fill(dw, 0, <usize>(filters * g.c * 9) << 2);
    return;
  }
  const m = mAt(g, filters, scratch);
  const pairs = filters * g.c;
  const pointBytes = <usize>pairs << 2;
  const p = tempAt(g, filters, scratch); // P = Gᵀ M: 3 × 6 vectors, then dW: 9 vectors
  const out = p + 288;
  let pair = 0;
  for (; pair + 4 <= pairs; pair += 4) {
    const src = m + (<usize>pair << 2);
    for (let b = 0; b < 6; b++) {
      gTransposeTimes4(v128.load(src + <usize>b * pointBytes), v128.load(src + <usize>(6 + b) * pointBytes),
        v128.load(src + <usize>(12 + b) * pointBytes), v128.load(src + <usize>(18 + b) * pointBytes),
        v128.load(src + <usize>(24 + b) * pointBytes), v128.load(src + <usize>(30 + b) * pointBytes), p + (<usize>b << 4), 96);
    }
    for (let i = 0; i < 3; i++) {
      const row = p + <usize>(96 * i);
      gTransposeTimes4(v128.load(row), v128.load(row, 16), v128.load(row, 32), v128.load(row, 48), v128.load(row, 64),
        v128.load(row, 80), out + (<usize>(3 * i) << 4), 16);
    }
    // lane l of vector 3i + j is dW[i][j] of pair + l
    for (let l = 0; l < 4; l++) {
      const dst = dw + (<usize>((pair + l) * 9) << 2);
      for (let t = 0; t < 9; t++) store<f32>(dst + (<usize>t << 2), load<f32>(out + (<usize>(4 * t + l) << 2)));
    }
  }
  for (; pair < pairs; pair++) {
    const src = m + (<usize>pair << 2);
    for (let b = 0; b < 6; b++) {
      gTransposeTimes<f32>(load<f32>(src + <usize>b * pointBytes), load<f32>(src + <usize>(6 + b) * pointBytes),
        load<f32>(src + <usize>(12 + b) * pointBytes), load<f32>(src + <usize>(18 + b) * pointBytes),
        load<f32>(src + <usize>(24 + b) * pointBytes), load<f32>(src + <usize>(30 + b) * pointBytes), p + (<usize>b << 2), 24);
    }
    const dst = dw + (<usize>(pair * 9) << 2);
    for (let i = 0; i < 3; i++) {
      const row = p + <usize>(24 * i);
      gTransposeTimes<f32>(load<f32>(row), load<f32>(row, 4), load<f32>(row, 8), load<f32>(row, 12), load<f32>(row, 16),
        load<f32>(row, 20), dst + (<usize>(3 * i) << 2), 4);
    }
  }
}

/** Gᵀ (3 × 6) times (m0 … m5) on four lanes, stored at dst, dst + stride, dst + 2·stride. */
// @ts-ignore: decorator
@inline function gTransposeTimes4(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, dst: usize, stride: usize): void {
  const s12 = f32x4.add(m1, m2);
  const s34 = f32x4.add(m3, m4);
  const sixth = f32x4.splat(<f32>(1.0 / 6));
  v128.store(dst, madd(f32x4.splat(0.25), m0, madd(f32x4.splat(<f32>(1.0 / 24)), s34, f32x4.mul(f32x4.splat(<f32>(-1.0 / 6)), s12))));
  v128.store(dst + stride, madd(sixth, f32x4.sub(m2, m1), f32x4.mul(f32x4.splat(<f32>(1.0 / 12)), f32x4.sub(m3, m4))));
  v128.store(dst + 2 * stride, madd(sixth, f32x4.sub(s34, s12), m5));
}

/** Gᵀ (3 × 6) times (m0 … m5), one pair, stored at dst, dst + stride, dst + 2·stride (as gTransposeTimes4). */
// @ts-ignore: decorator
@inline function gTransposeTimes<T>(m0: T, m1: T, m2: T, m3: T, m4: T, m5: T, dst: usize, stride: usize): void {
  const s12 = m1 + m2;
  const s34 = m3 + m4;
  store<T>(dst, <T>0.25 * m0 + (<T>(1.0 / 24) * s34 + <T>(-1.0 / 6) * s12));
  store<T>(dst + stride, <T>(1.0 / 6) * (m2 - m1) + <T>(1.0 / 12) * (m3 - m4));
  store<T>(dst + 2 * stride, <T>(1.0 / 6) * (s34 - s12) + m5);
}
