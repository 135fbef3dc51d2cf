/** Elementwise functions of one argument; the cheap ones run four lanes at a time. */
import { NEG, ABS, EXP, LOG, SQRT, SQUARE, RECIPROCAL, SIGN, RELU, SIGMOID, TANH, STEP } from './codes';

/** True when op has a SIMD form (the transcendental ones are scalar). */
// @ts-ignore: decorator
@inline function vectorizable(op: i32): bool {
  return op != EXP && op != LOG && op != SIGMOID && op != TANH && op != SIGN;
}

// @ts-ignore: decorator
@inline function vec(op: i32, x: v128): v128 {
  const zero = f32x4.splat(0);
  switch (op) {
    case NEG: return f32x4.neg(x);
    case ABS: return f32x4.abs(x);
    case SQRT: return f32x4.sqrt(x);
    case SQUARE: return f32x4.mul(x, x);
    case RECIPROCAL: return f32x4.div(f32x4.splat(1), x);
    // x > 0 ? x : 0, so NaN maps to 0 as in the reference
    case RELU: return v128.and(x, f32x4.gt(x, zero));
    case STEP: return v128.and(f32x4.splat(1), f32x4.gt(x, zero));
    default: return x;
  }
}

// @ts-ignore: decorator
@inline function scalar(op: i32, x: f32): f32 {
  switch (op) {
    case NEG: return -x;
    case ABS: return Mathf.abs(x);
    case EXP: return Mathf.exp(x);
    case LOG: return Mathf.log(x);
    case SQRT: return Mathf.sqrt(x);
    case SQUARE: return x * x;
    case RECIPROCAL: return 1 / x;
    case SIGN: return x > 0 ? 1 : x < 0 ? -1 : x;
    case RELU: return x > 0 ? x : 0;
    case SIGMOID: {
      if (x >= 0) return 1 / (1 + Mathf.exp(-x));
      const e = Mathf.exp(x);
      return e / (1 + e);
    }
    case TANH: return Mathf.tanh(x);
    case STEP: return x > 0 ? 1 : 0;
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
    case NEG: map(NEG, x, out, len); break;
    case ABS: map(ABS, x, out, len); break;
    case EXP: map(EXP, x, out, len); break;
    case LOG: map(LOG, x, out, len); break;
    case SQRT: map(SQRT, x, out, len); break;
    case SQUARE: map(SQUARE, x, out, len); break;
    case RECIPROCAL: map(RECIPROCAL, x, out, len); break;
    case SIGN: map(SIGN, x, out, len); break;
    case RELU: map(RELU, x, out, len); break;
    case SIGMOID: map(SIGMOID, x, out, len); break;
    case TANH: map(TANH, x, out, len); break;
    case STEP: map(STEP, x, out, len); break;
    default: unreachable();
  }
}
