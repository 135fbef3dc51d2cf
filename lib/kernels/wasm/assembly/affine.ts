/** Affine and bias kernels: scale-shift, bias add and its gradient, ReLU backward. */
import { addFloats, madd } from './simd';

/** out[i] = x[i]·s + t for len floats. */
export function scaleShift(x: usize, s: f32, t: f32, out: usize, len: i32): void {
  const vs = f32x4.splat(s);
  const vt = f32x4.splat(t);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, madd(v128.load(x + o), vs, vt));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * s + t);
  }
}

/** out[r, j] = x[r, j] + bias[j] for a rows×cols matrix. */
export function addRowVector(x: usize, bias: usize, rows: i32, cols: i32, out: usize): void {
  const ld = <usize>cols << 2;
  for (let r = 0; r < rows; r++, x += ld, out += ld) addFloats(x, bias, out, cols);
}

/** out[j] = Σ_r x[r, j], summed row by row in f32 like the reference. */
export function sumRows(x: usize, rows: i32, cols: i32, out: usize): void {
  const ld = <usize>cols << 2;
  memory.fill(out, 0, ld);
  for (let r = 0; r < rows; r++, x += ld) addFloats(out, x, out, cols);
}

/** out[i] = x[i] > 0 ? dy[i] : 0. */
export function reluBackward(x: usize, dy: usize, out: usize, len: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), zero)));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) > 0 ? load<f32>(dy + o) : 0);
  }
}
