/**
 * Per-channel kernels over x viewed as [n, c, inner] (batch norm): statistics and sums in f64
 * like the reference, and the per-channel affine map.
 */
import { madd } from './simd';
import { reluBackward, scaleShift } from './affine';

/** Σ over a run of len f32 at p, in f64 (two f64 lanes plus a scalar tail). */
function runSum(p: usize, len: i32): f64 {
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= len; i += 2) acc = f64x2.add(acc, f64x2.promote_low_f32x4(v128.load64_zero(p + (<usize>i << 2))));
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < len; i++) s += <f64>load<f32>(p + (<usize>i << 2));
  return s;
}

/** Σ (x − m)² over a run of len f32 at p, in f64. */
function runSquares(p: usize, len: i32, m: f64): f64 {
  const vm = f64x2.splat(m);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const d = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(p + (<usize>i << 2))), vm);
    acc = f64x2.add(acc, f64x2.mul(d, d));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < len; i++) {
    const d = <f64>load<f32>(p + (<usize>i << 2)) - m;
    s += d * d;
  }
  return s;
}

/** Σ x·y over runs of len f32 at p and q, in f64. */
function runDot(p: usize, q: usize, len: i32): f64 {
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 2;
    acc = f64x2.add(acc, f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(p + o)),
      f64x2.promote_low_f32x4(v128.load64_zero(q + o))));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < len; i++) {
    const o = <usize>i << 2;
    s += <f64>load<f32>(p + o) * <f64>load<f32>(q + o);
  }
  return s;
}

/** outMean[ch] and outVar[ch] (biased) over axes n and inner; two passes, so no cancellation. */
export function channelMoments(x: usize, n: i32, c: i32, inner: i32, outMean: usize, outVar: usize): void {
  const row = <usize>inner << 2;
  const image = row * <usize>c;
  const count = <f64>n * <f64>inner;
  for (let ch = 0; ch < c; ch++) {
    const start = x + row * <usize>ch;
    let s: f64 = 0;
    for (let b = 0; b < n; b++) s += runSum(start + image * <usize>b, inner);
    const m = s / count;
    let q: f64 = 0;
    for (let b = 0; b < n; b++) q += runSquares(start + image * <usize>b, inner, m);
    store<f32>(outMean + (<usize>ch << 2), <f32>m);
    store<f32>(outVar + (<usize>ch << 2), <f32>(q / count));
  }
}

/** outSum[ch] = Σ x and, when withDot, outDot[ch] = Σ x·y, over axes n and inner. */
export function channelSums(x: usize, y: usize, withDot: bool, n: i32, c: i32, inner: i32, outSum: usize, outDot: usize): void {
  const row = <usize>inner << 2;
  const image = row * <usize>c;
  for (let ch = 0; ch < c; ch++) {
    const off = row * <usize>ch;
    let s: f64 = 0;
    let d: f64 = 0;
    for (let b = 0; b < n; b++) {
      const o = off + image * <usize>b;
      s += runSum(x + o, inner);
      if (withDot) d += runDot(x + o, y + o, inner);
    }
    store<f32>(outSum + (<usize>ch << 2), <f32>s);
    if (withDot) store<f32>(outDot + (<usize>ch << 2), <f32>d);
  }
}

/**
 * out = x·sx[ch] + shift[ch], plus y·sy[ch] when withY, for x viewed as [n, c, inner]; with relu,
 * each row is then made max(v, 0) in place while it is in L1 (the rule of unary relu).
 */
export function channelAffine(x: usize, sx: usize, y: usize, sy: usize, withY: bool, shift: usize,
  n: i32, c: i32, inner: i32, relu: bool, out: usize): void {
  const row = <usize>inner << 2;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++, x += row, y += row, out += row) {
      const co = <usize>ch << 2;
      const a = load<f32>(sx + co);
      const t = load<f32>(shift + co);
      const va = f32x4.splat(a);
      const vt = f32x4.splat(t);
      let i = 0;
      if (withY) {
        const e = load<f32>(sy + co);
        const ve = f32x4.splat(e);
        for (; i + 4 <= inner; i += 4) {
          const o = <usize>i << 2;
          v128.store(out + o, madd(v128.load(y + o), ve, madd(v128.load(x + o), va, vt)));
        }
        for (; i < inner; i++) {
          const o = <usize>i << 2;
          store<f32>(out + o, load<f32>(y + o) * e + (load<f32>(x + o) * a + t));
        }
      } else {
        scaleShift(x, a, t, out, inner);
      }
      if (relu) reluBackward(out, out, out, inner);
    }
  }
}
