/**
 * Per-channel kernels over x viewed as [n, c, inner] (batch norm): statistics and sums in f64
 * like the reference, and the per-channel affine map. Sums and the map can read x through a
 * gate (a fused ReLU's output): x counts as 0 where the gate is not > 0, as reluBackward makes
 * it, so batch norm's backward applies the ReLU's gradient without a pass of its own.
 */
import { madd } from './simd';
import { reluBackward, scaleShift } from './affine';

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

/** Two f32 of the run at p (offset o) as f64 lanes, gated by the run at g when withGate. */
// @ts-ignore: decorator
@inline function pairAt(p: usize, g: usize, o: usize, withGate: bool): v128 {
  const raw = v128.load64_zero(p + o);
  return f64x2.promote_low_f32x4(withGate ? gateLanes(raw, v128.load64_zero(g + o)) : raw);
}

/** One f32 of the run at p (offset o) as f64, gated by the run at g when withGate. */
// @ts-ignore: decorator
@inline function valueAt(p: usize, g: usize, o: usize, withGate: bool): f64 {
  return <f64>(withGate ? gated(p + o, g + o) : load<f32>(p + o));
}

/** Σ over a run of len f32 at p (gated by g when withGate), in f64: two f64 lanes plus a scalar tail. */
// @ts-ignore: decorator
@inline function sumOf(p: usize, g: usize, len: i32, withGate: bool): f64 {
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= len; i += 2) acc = f64x2.add(acc, pairAt(p, g, <usize>i << 2, withGate));
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < len; i++) s += valueAt(p, g, <usize>i << 2, withGate);
  return s;
}

/** The Σ x·y of the last runSumDot or runSumDotGated (a second result). */
let lastDot: f64 = 0;

/** Σ x (returned) and Σ x·y (in lastDot) over runs of len f32 at p and q (x gated by g when withGate), in f64, in one pass. */
// @ts-ignore: decorator
@inline function sumDotOf(p: usize, g: usize, q: usize, len: i32, withGate: bool): f64 {
  let sum = f64x2.splat(0);
  let dot = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 2;
    const x = pairAt(p, g, o, withGate);
    sum = f64x2.add(sum, x);
    dot = f64x2.add(dot, f64x2.mul(x, f64x2.promote_low_f32x4(v128.load64_zero(q + o))));
  }
  let s = f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
  let d = f64x2.extract_lane(dot, 0) + f64x2.extract_lane(dot, 1);
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const x = valueAt(p, g, o, withGate);
    s += x;
    d += x * <f64>load<f32>(q + o);
  }
  lastDot = d;
  return s;
}

function runSum(p: usize, len: i32): f64 { return sumOf(p, 0, len, false); }
function runSumGated(p: usize, g: usize, len: i32): f64 { return sumOf(p, g, len, true); }
function runSumDot(p: usize, q: usize, len: i32): f64 { return sumDotOf(p, 0, q, len, false); }
function runSumDotGated(p: usize, g: usize, q: usize, len: i32): f64 { return sumDotOf(p, g, q, len, true); }

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
      if (withY) {
        const e = load<f32>(sy + co);
        if (withGate) affineRowGated(x, gate, a, y, e, t, out, inner);
        else affineRow(x, a, y, e, t, out, inner);
      } else if (withGate) {
        scaleShiftGated(x, gate, a, t, out, inner);
      } else {
        scaleShift(x, a, t, out, inner);
      }
      if (relu) reluBackward(out, out, out, inner);
    }
  }
}

/** out = y·e + (x·a + t) over one row (no y term without withY; x gated by the row at g with withGate). */
// @ts-ignore: decorator
@inline function affineRun(x: usize, g: usize, a: f32, y: usize, e: f32, t: f32, out: usize, len: i32, withY: bool, withGate: bool): void {
  const va = f32x4.splat(a);
  const ve = f32x4.splat(e);
  const vt = f32x4.splat(t);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const raw = v128.load(x + o);
    const xo = madd(withGate ? gateLanes(raw, v128.load(g + o)) : raw, va, vt);
    v128.store(out + o, withY ? madd(v128.load(y + o), ve, xo) : xo);
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const xo = (withGate ? gated(x + o, g + o) : load<f32>(x + o)) * a + t;
    store<f32>(out + o, withY ? load<f32>(y + o) * e + xo : xo);
  }
}

function affineRow(x: usize, a: f32, y: usize, e: f32, t: f32, out: usize, len: i32): void { affineRun(x, 0, a, y, e, t, out, len, true, false); }
function affineRowGated(x: usize, g: usize, a: f32, y: usize, e: f32, t: f32, out: usize, len: i32): void { affineRun(x, g, a, y, e, t, out, len, true, true); }
function scaleShiftGated(x: usize, g: usize, a: f32, t: f32, out: usize, len: i32): void { affineRun(x, g, a, 0, 0, t, out, len, false, true); }
