/** Reductions along the middle axis of [outer, len, inner], argmax and row softmax. */
import { Reduce } from './codes';

/**
 * out[o, i] = op over l of x[o, l, i]. Sums accumulate in f64 like the reference; scratch
 * holds inner f64 accumulators.
 */
export function reduce(op: i32, x: usize, outer: i32, len: i32, inner: i32, out: usize, scratch: usize): void {
  const plane = <usize>(len * inner) << 2;
  const ld = <usize>inner << 2;
  for (let o = 0; o < outer; o++, x += plane, out += ld) {
    if (op == Reduce.sum) sumSlice(x, len, inner, out, scratch);
    else extremeSlice(op == Reduce.max, x, len, inner, out);
  }
}

function sumSlice(x: usize, len: i32, inner: i32, out: usize, acc: usize): void {
  if (inner == 1) {
    let s: f64 = 0;
    for (let l = 0; l < len; l++) s += <f64>load<f32>(x + (<usize>l << 2));
    store<f32>(out, <f32>s);
    return;
  }
  memory.fill(acc, 0, <usize>inner << 3);
  const ld = <usize>inner << 2;
  for (let l = 0; l < len; l++, x += ld) {
    let i = 0;
    for (; i + 2 <= inner; i += 2) {
      const a = acc + (<usize>i << 3);
      const v = f64x2.promote_low_f32x4(v128.load64_zero(x + (<usize>i << 2)));
      v128.store(a, f64x2.add(v128.load(a), v));
    }
    if (i < inner) {
      const a = acc + (<usize>i << 3);
      store<f64>(a, load<f64>(a) + <f64>load<f32>(x + (<usize>i << 2)));
    }
  }
  for (let i = 0; i < inner; i++) store<f32>(out + (<usize>i << 2), <f32>load<f64>(acc + (<usize>i << 3)));
}

/** Running max (or min) that keeps the reference's rule: a NaN wins, else strictly better. */
function extremeSlice(isMax: bool, x: usize, len: i32, inner: i32, out: usize): void {
  const ld = <usize>inner << 2;
  memory.copy(out, x, ld);
  for (let l = 1; l < len; l++) {
    x += ld;
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      const acc = v128.load(out + o);
      const better = isMax ? f32x4.gt(v, acc) : f32x4.lt(v, acc);
      v128.store(out + o, v128.bitselect(v, acc, v128.or(better, f32x4.ne(v, v))));
    }
    for (; i < inner; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(x + o);
      const acc = load<f32>(out + o);
      if ((isMax ? v > acc : v < acc) || v != v) store<f32>(out + o, v);
    }
  }
}

/** out[o, i] = index of the first maximum of x[o, :, i] (i32). */
export function argmax(x: usize, outer: i32, len: i32, inner: i32, out: usize): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = x + (<usize>(o * len * inner + i) << 2);
      let best = 0;
      let bestV = load<f32>(base);
      for (let l = 1; l < len; l++) {
        const v = load<f32>(base + (<usize>(l * inner) << 2));
        if (v > bestV) { bestV = v; best = l; }
      }
      store<i32>(out + (<usize>(o * inner + i) << 2), best);
    }
  }
}

/** Row-wise stable softmax of rows×cols; exponentials and their sum in f64 like the reference. */
export function softmax(x: usize, rows: i32, cols: i32, out: usize): void {
  const ld = <usize>cols << 2;
  for (let r = 0; r < rows; r++, x += ld, out += ld) {
    let mx: f32 = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = load<f32>(x + (<usize>j << 2));
      if (v > mx) mx = v;
    }
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const e = Math.exp(<f64>load<f32>(x + o) - <f64>mx);
      store<f32>(out + o, <f32>e);
      s += e;
    }
    const inv = 1 / s;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(out + o, <f32>(<f64>load<f32>(out + o) * inv));
    }
  }
}
