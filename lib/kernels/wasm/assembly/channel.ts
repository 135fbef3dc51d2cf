/**
 * Per-channel kernels over x viewed as [n, c, inner] (batch norm): statistics and sums in f64
 * like the reference, and the per-channel affine map. Sums and the map can read x through a
 * gate (a fused ReLU's output): x counts as 0 where the gate is not > 0, as reluBackward makes
 * it, so batch norm's backward applies the ReLU's gradient without a pass of its own.
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

/** v's lanes where the gate's lanes are > 0, else +0 (reluBackward's rule). */
// @ts-ignore: decorator
@inline function gateLanes(v: v128, gate: v128): v128 {
  return v128.and(v, f32x4.gt(gate, f32x4.splat(0)));
}

/** The f32 at p, or 0 where the gate's f32 at g is not > 0. */
// @ts-ignore: decorator
@inline function gated(p: usize, g: usize): f32 {
  return load<f32>(g) > 0 ? load<f32>(p) : 0;
}

/** runSum of x gated by the run at g. */
function runSumGated(p: usize, g: usize, len: i32): f64 {
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 2;
    acc = f64x2.add(acc, f64x2.promote_low_f32x4(gateLanes(v128.load64_zero(p + o), v128.load64_zero(g + o))));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < len; i++) s += <f64>gated(p + (<usize>i << 2), g + (<usize>i << 2));
  return s;
}

/** The Σ x·y of the last runSumDot or runSumDotGated (a second result). */
let lastDot: f64 = 0;

/** Σ x (returned) and Σ x·y (in lastDot) over runs of len f32 at p and q, in f64, in one pass. */
function runSumDot(p: usize, q: usize, len: i32): f64 {
  let sum = f64x2.splat(0);
  let dot = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 2;
    const x = f64x2.promote_low_f32x4(v128.load64_zero(p + o));
    sum = f64x2.add(sum, x);
    dot = f64x2.add(dot, f64x2.mul(x, f64x2.promote_low_f32x4(v128.load64_zero(q + o))));
  }
  let s = f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
  let d = f64x2.extract_lane(dot, 0) + f64x2.extract_lane(dot, 1);
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const x = <f64>load<f32>(p + o);
    s += x;
    d += x * <f64>load<f32>(q + o);
  }
  lastDot = d;
  return s;
}

/** runSumDot with x gated by the run at g. */
function runSumDotGated(p: usize, g: usize, q: usize, len: i32): f64 {
  let sum = f64x2.splat(0);
  let dot = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 2;
    const x = f64x2.promote_low_f32x4(gateLanes(v128.load64_zero(p + o), v128.load64_zero(g + o)));
    sum = f64x2.add(sum, x);
    dot = f64x2.add(dot, f64x2.mul(x, f64x2.promote_low_f32x4(v128.load64_zero(q + o))));
  }
  let s = f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
  let d = f64x2.extract_lane(dot, 0) + f64x2.extract_lane(dot, 1);
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const x = <f64>gated(p + o, g + o);
    s += x;
    d += x * <f64>load<f32>(q + o);
  }
  lastDot = d;
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

/**
 * outSum[ch] = Σ x and, when withDot, outDot[ch] = Σ x·y, over axes n and inner; with a gate
 * (not 0), x reads as 0 where the gate (same layout) is not > 0.
 */
export function channelSums(x: usize, gate: usize, y: usize, withDot: bool, n: i32, c: i32, inner: i32, outSum: usize, outDot: usize): void {
  const row = <usize>inner << 2;
  const image = row * <usize>c;
  for (let ch = 0; ch < c; ch++) {
    const off = row * <usize>ch;
    let s: f64 = 0;
    let d: f64 = 0;
    for (let b = 0; b < n; b++) {
      const o = off + image * <usize>b;
      if (withDot) {
        s += gate != 0 ? runSumDotGated(x + o, gate + o, y + o, inner) : runSumDot(x + o, y + o, inner);
        d += lastDot;
      } else {
        s += gate != 0 ? runSumGated(x + o, gate + o, inner) : runSum(x + o, inner);
      }
    }
    store<f32>(outSum + (<usize>ch << 2), <f32>s);
    if (withDot) store<f32>(outDot + (<usize>ch << 2), <f32>d);
  }
}

/**
 * out = x·sx[ch] + shift[ch], plus y·sy[ch] when withY, for x viewed as [n, c, inner]; with a
 * gate (not 0), x reads as 0 where the gate is not > 0; with relu, each row is then made
 * max(v, 0) in place while it is in L1 (the rule of unary relu).
 */
export function channelAffine(x: usize, gate: usize, sx: usize, y: usize, sy: usize, withY: bool, shift: usize,
  n: i32, c: i32, inner: i32, relu: bool, out: usize): void {
  const row = <usize>inner << 2;
  const withGate = gate != 0;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++, x += row, y += row, gate += row, out += row) {
      const co = <usize>ch << 2;
      const a = load<f32>(sx + co);
      const t = load<f32>(shift + co);
      if (withGate) affineRowGated(x, gate, a, y, withY ? load<f32>(sy + co) : 0, withY, t, out, inner);
      else if (withY) affineRow(x, a, y, load<f32>(sy + co), t, out, inner);
      else scaleShift(x, a, t, out, inner);
      if (relu) reluBackward(out, out, out, inner);
    }
  }
}

/** out = y·e + (x·a + t) over one row. */
function affineRow(x: usize, a: f32, y: usize, e: f32, t: f32, out: usize, len: i32): void {
  const va = f32x4.splat(a);
  const ve = f32x4.splat(e);
  const vt = f32x4.splat(t);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, madd(v128.load(y + o), ve, madd(v128.load(x + o), va, vt)));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(y + o) * e + (load<f32>(x + o) * a + t));
  }
}

/** affineRow (or scaleShift without y) with x gated: the same arithmetic on the gated values. */
function affineRowGated(x: usize, gate: usize, a: f32, y: usize, e: f32, withY: bool, t: f32, out: usize, len: i32): void {
  const va = f32x4.splat(a);
  const ve = f32x4.splat(e);
  const vt = f32x4.splat(t);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const xo = madd(gateLanes(v128.load(x + o), v128.load(gate + o)), va, vt);
    v128.store(out + o, withY ? madd(v128.load(y + o), ve, xo) : xo);
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const xo = gated(x + o, gate + o) * a + t;
    store<f32>(out + o, withY ? load<f32>(y + o) * e + xo : xo);
  }
}
