/** SIMD helpers shared by the kernels; the relaxed build fuses multiply-add. */

/** a·b + c on four f32 lanes: one FMA in the relaxed build, mul then add otherwise. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Transposes the 4×4 f32 block whose rows start at r0..r3 into dst (16 contiguous floats). */
// @ts-ignore: decorator
@inline export function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
  const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, f32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + stride, f32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, f32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, f32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/**
 * Two vectors of 4 channels' values at two neighbouring pixels (left, right), stored as each
 * channel's 8-byte pair at dst, dst + planeBytes, … (32-bit lanes of any kind).
 */
// @ts-ignore: decorator
@inline export function storePairs(left: v128, right: v128, dst: usize, planeBytes: usize): void {
  const low = i32x4.shuffle(left, right, 0, 4, 1, 5);
  const high = i32x4.shuffle(left, right, 2, 6, 3, 7);
  v128.store64_lane(dst, low, 0);
  v128.store64_lane(dst + planeBytes, low, 1);
  v128.store64_lane(dst + 2 * planeBytes, high, 0);
  v128.store64_lane(dst + 3 * planeBytes, high, 1);
}

/** out[i] = a[i] + b[i] for len floats, four at a time (out may be a). */
// @ts-ignore: decorator
@inline export function addFloats(a: usize, b: usize, out: usize, len: i32): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}
