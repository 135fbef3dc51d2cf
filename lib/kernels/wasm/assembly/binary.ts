/**
 * Elementwise functions of two arguments over broadcast shapes. The glue coalesces axes, so
 * most calls are one contiguous row, or rows against a broadcast row vector or scalar.
 */
import { ADD, SUB, MUL, DIV, MAX, MIN, POW, GREATER, EQUAL } from './codes';

// @ts-ignore: decorator
@inline function vec(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
    case DIV: return f32x4.div(a, b);
    // a >= b || isNaN(a) ? a : b (the reference's NaN and signed-zero choice)
    case MAX: return v128.bitselect(a, b, v128.or(f32x4.ge(a, b), f32x4.ne(a, a)));
    case MIN: return v128.bitselect(a, b, v128.or(f32x4.le(a, b), f32x4.ne(a, a)));
    case GREATER: return v128.and(f32x4.splat(1), f32x4.gt(a, b));
    case EQUAL: return v128.and(f32x4.splat(1), f32x4.eq(a, b));
    default: return a;
  }
}

// @ts-ignore: decorator
@inline function scalar(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case MAX: return a >= b || a != a ? a : b;
    case MIN: return a <= b || a != a ? a : b;
    case POW: return <f32>Math.pow(<f64>a, <f64>b);
    case GREATER: return a > b ? 1 : 0;
    case EQUAL: return a == b ? 1 : 0;
    default: return a;
  }
}

/** One output row: out[j] = op(a[j·as], b[j·bs]) with element strides as, bs. */
// @ts-ignore: decorator
@inline function row(op: i32, a: usize, as: i32, b: usize, bs: i32, out: usize, len: i32): void {
  let j = 0;
  if (op != POW && as == 1 && bs == 1) {
    for (; j + 4 <= len; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, vec(op, v128.load(a + o), v128.load(b + o)));
    }
  } else if (op != POW && as == 1 && bs == 0) {
    const vb = v128.load32_splat(b);
    for (; j + 4 <= len; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, vec(op, v128.load(a + o), vb));
    }
  } else if (op != POW && as == 0 && bs == 1) {
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
    case ADD: walk(ADD, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case SUB: walk(SUB, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case MUL: walk(MUL, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case DIV: walk(DIV, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case MAX: walk(MAX, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case MIN: walk(MIN, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case POW: walk(POW, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case GREATER: walk(GREATER, a, b, out, rank, shape, aStrides, bStrides, index); break;
    case EQUAL: walk(EQUAL, a, b, out, rank, shape, aStrides, bStrides, index); break;
    default: unreachable();
  }
}
