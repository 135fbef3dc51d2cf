/**
 * Elementwise functions of two arguments over broadcast shapes. The glue coalesces axes, so
 * most calls are one contiguous row, or rows against a broadcast row vector or scalar.
 */
import { Binary } from './codes';

// @ts-ignore: decorator
@inline function vec(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case Binary.add: return f32x4.add(a, b);
    case Binary.sub: return f32x4.sub(a, b);
    case Binary.mul: return f32x4.mul(a, b);
    case Binary.div: return f32x4.div(a, b);
    // a >= b || isNaN(a) ? a : b (the reference's NaN and signed-zero choice)
    case Binary.max: return v128.bitselect(a, b, v128.or(f32x4.ge(a, b), f32x4.ne(a, a)));
    case Binary.min: return v128.bitselect(a, b, v128.or(f32x4.le(a, b), f32x4.ne(a, a)));
    case Binary.greater: return v128.and(f32x4.splat(1), f32x4.gt(a, b));
    case Binary.equal: return v128.and(f32x4.splat(1), f32x4.eq(a, b));
    default: return a;
  }
}

// @ts-ignore: decorator
@inline function scalar(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case Binary.add: return a + b;
    case Binary.sub: return a - b;
    case Binary.mul: return a * b;
    case Binary.div: return a / b;
    case Binary.max: return a >= b || a != a ? a : b;
    case Binary.min: return a <= b || a != a ? a : b;
    case Binary.pow: return <f32>Math.pow(<f64>a, <f64>b);
    case Binary.greater: return a > b ? 1 : 0;
    case Binary.equal: return a == b ? 1 : 0;
    default: return a;
  }
}

/** One output row: out[j] = op(a[j·as], b[j·bs]) with element strides as, bs. */
// @ts-ignore: decorator
@inline function row(op: i32, a: usize, as: i32, b: usize, bs: i32, out: usize, len: i32): void {
  let j = 0;
  if (op != Binary.pow && as == 1 && bs == 1) {
    for (; j + 4 <= len; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, vec(op, v128.load(a + o), v128.load(b + o)));
    }
  } else if (op != Binary.pow && as == 1 && bs == 0) {
    const vb = v128.load32_splat(b);
    for (; j + 4 <= len; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, vec(op, v128.load(a + o), vb));
    }
  } else if (op != Binary.pow && as == 0 && bs == 1) {
    const va = v128.load32_splat(a);
    for (; j + 4 <= len; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, vec(op, va, v128.load(b + o)));
    }
  }
  for (; j < len; j++) {
    const av = load<f32>(a + (<usize>(j * as) << 2));
    const bv = load<f32>(b + (<usize>(j * bs) << 2));
    store<f32>(out + (<usize>j << 2), scalar(op, av, bv));
  }
}

/** Walks all axes but the last like an odometer, calling row for each output row. */
// @ts-ignore: decorator
@inline function walk(op: i32, a: usize, b: usize, out: usize, rank: i32, shape: usize,
  aStrides: usize, bStrides: usize, index: usize): void {
  const last = rank - 1;
  const len = load<i32>(shape + (<usize>last << 2));
  const as = load<i32>(aStrides + (<usize>last << 2));
  const bs = load<i32>(bStrides + (<usize>last << 2));
  let rows = 1;
  for (let d = 0; d < last; d++) {
    rows *= load<i32>(shape + (<usize>d << 2));
    store<i32>(index + (<usize>d << 2), 0);
  }
  let ai = 0;
  let bi = 0;
  for (let r = 0; r < rows; r++) {
    row(op, a + (<usize>ai << 2), as, b + (<usize>bi << 2), bs, out + (<usize>(r * len) << 2), len);
    for (let d = last - 1; d >= 0; d--) {
      const o = <usize>d << 2;
      const n = load<i32>(shape + o);
      const i = load<i32>(index + o) + 1;
      ai += load<i32>(aStrides + o);
      bi += load<i32>(bStrides + o);
      if (i < n) { store<i32>(index + o, i); break; }
      ai -= load<i32>(aStrides + o) * n;
      bi -= load<i32>(bStrides + o) * n;
      store<i32>(index + o, 0);
    }
  }
}

/**
 * out = op(a, b) over an output of the given rank (≥ 1); shape and strides are i32 arrays of
 * rank entries (element strides, 0 on broadcast axes); index is rank i32s of scratch.
 */
export function binary(op: i32, a: usize, b: usize, out: usize, rank: i32, shape: usize,
  aStrides: usize, bStrides: usize, index: usize): void {
  switch (op) {
    case Binary.add: walk(Binary.add, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case Binary.sub: walk(Binary.sub, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case Binary.mul: walk(Binary.mul, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case Binary.div: walk(Binary.div, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case Binary.max: walk(Binary.max, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case Binary.min: walk(Binary.min, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case Binary.pow: walk(Binary.pow, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case Binary.greater: walk(Binary.greater, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case Binary.equal: walk(Binary.equal, a, b, out, rank, shape, aStrides, bStrides, index); break;
    default: unreachable();
  }
}
