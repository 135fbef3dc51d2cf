/**
 * GEMM micro-kernels: an MR×8 tile of C held in 2·MR f32x4 registers while A and B slivers
 * stream past. One function per MR because each accumulator must be a named local. They only
 * store the finished tile to a contiguous buffer: reading C after the loop made Binaryen
 * reshuffle locals so that V8 spilled accumulators inside the loop (2× slower).
 */
import { madd } from './simd';

/** tile[6×8] = A·B over kc steps (A: 6 floats per step, B: 8). */
export function micro6x8(kc: i32, pa: usize, pb: usize, tile: usize): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0); let c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0); let c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0); let c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
    a = v128.load32_splat(pa, 20);
    c50 = madd(a, b0, c50); c51 = madd(a, b1, c51);
    pa += 24;
    pb += 32;
  }
  v128.store(tile, c00, 0); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  v128.store(tile, c40, 128); v128.store(tile, c41, 144);
  v128.store(tile, c50, 160); v128.store(tile, c51, 176);
}

/** tile[5×8] = A·B over kc steps (A: 5 floats per step, B: 8). */
export function micro5x8(kc: i32, pa: usize, pb: usize, tile: usize): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0); let c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0); let c41 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
    pa += 20;
    pb += 32;
  }
  v128.store(tile, c00, 0); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  v128.store(tile, c40, 128); v128.store(tile, c41, 144);
}

