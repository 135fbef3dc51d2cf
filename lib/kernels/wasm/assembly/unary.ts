/** Elementwise functions of one argument; the cheap ones run four lanes at a time. */
import { Unary } from './codes';

/** The smallest normal f32. */
const NORMAL_MIN: f32 = 1.17549435e-38;

/** True when op has a SIMD form (the transcendental ones are scalar). */
// @ts-ignore: decorator
@inline function vectorizable(op: i32): bool {
  return op != Unary.exp && op != Unary.log && op != Unary.sigmoid && op != Unary.tanh && op != Unary.sign;
}

// @ts-ignore: decorator
@inline function vec(op: i32, x: v128): v128 {
  const zero = f32x4.splat(0);
  switch (op) {
    case Unary.neg: return f32x4.neg(x);
    case Unary.abs: return f32x4.abs(x);
    case Unary.sqrt: return f32x4.sqrt(x);
    case Unary.square: return f32x4.mul(x, x);
    case Unary.reciprocal: return f32x4.div(f32x4.splat(1), x);
    // x > 0 ? x : 0, so NaN maps to 0 as in the reference
    case Unary.relu: return v128.and(x, f32x4.gt(x, zero));
    case Unary.step: return v128.and(f32x4.splat(1), f32x4.gt(x, zero));
    case Unary.flushSubnormal: return v128.andnot(x, f32x4.lt(f32x4.abs(x), f32x4.splat(NORMAL_MIN)));
    default: return x;
  }
}

// @ts-ignore: decorator
@inline function scalar(op: i32, x: f32): f32 {
  switch (op) {
    case Unary.neg: return -x;
    case Unary.abs: return Mathf.abs(x);
    case Unary.exp: return Mathf.exp(x);
    case Unary.log: return Mathf.log(x);
    case Unary.sqrt: return Mathf.sqrt(x);
    case Unary.square: return x * x;
    case Unary.reciprocal: return 1 / x;
    case Unary.sign: return x > 0 ? 1 : x < 0 ? -1 : x;
    case Unary.relu: return x > 0 ? x : 0;
    case Unary.sigmoid: {
      if (x >= 0) return 1 / (1 + Mathf.exp(-x));
      const e = Mathf.exp(x);
      return e / (1 + e);
    }
    case Unary.tanh: return Mathf.tanh(x);
    case Unary.step: return x > 0 ? 1 : 0;
    case Unary.flushSubnormal: return Mathf.abs(x) < NORMAL_MIN ? 0 : x;
    default: return x;
  }
}

// @ts-ignore: decorator
@inline function map(op: i32, x: usize, out: usize, len: i32): void {
  let i = 0;
  if (vectorizable(op)) {
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, vec(op, v128.load(x + o)));
    }
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, scalar(op, load<f32>(x + o)));
  }
}

/** out[i] = op(x[i]) for len floats. */
export function unary(op: i32, x: usize, out: usize, len: i32): void {
  // one specialised loop per op: the constant op folds the switches inside map
  switch (op) {
    case Unary.neg: map(Unary.neg, x, out, len); break;
    case Unary.abs: map(Unary.abs, x, out, len); break;
    case Unary.exp: map(Unary.exp, x, out, len); break;
    case Unary.log: map(Unary.log, x, out, len); break;
    case Unary.sqrt: map(Unary.sqrt, x, out, len); break;
    case Unary.square: map(Unary.square, x, out, len); break;
    case Unary.reciprocal: map(Unary.reciprocal, x, out, len); break;
    case Unary.sign: map(Unary.sign, x, out, len); break;
    case Unary.relu: map(Unary.relu, x, out, len); break;
    case Unary.sigmoid: map(Unary.sigmoid, x, out, len); break;
    case Unary.tanh: map(Unary.tanh, x, out, len); break;
    case Unary.step: map(Unary.step, x, out, len); break;
    case Unary.flushSubnormal: map(Unary.flushSubnormal, x, out, len); break;
    default: unreachable();
  }
}
