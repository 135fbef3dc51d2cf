/** The fused Adam update through the wasm kernels, its elements split over two threads when there are many. */
import type { AdamStep } from '../kernels.ts';
import type { Arena } from './arena.ts';
import type { WasmExports } from './exports.ts';
import { floatBits, JOB_ADAM, type Helper } from './helper.ts';

/** Below this many elements a second thread costs more than it saves (a memory-bound pass). */
export const ADAM_SHARE_MIN = 65536;

/** See Kernels.adam (float32; params empty: outUpdate gets the updates, else the new parameters). */
export const wasmAdam = (ex: WasmExports, arena: Arena, helper: Helper | undefined, g: Float32Array, m: Float32Array,
  v: Float32Array, step: AdamStep, outM: Float32Array, outV: Float32Array, outUpdate: Float32Array, params: Float32Array): void => {
  const n = g.length;
  if (n === 0) return;
  arena.reset();
  const pg = arena.put(g);
  const pm = arena.put(m);
  const pv = arena.put(v);
  const pp = params.length > 0 ? arena.put(params) : 0;
  const om = arena.output(n * 4);
  const ov = arena.output(n * 4);
  const ou = arena.output(n * 4);
  const coefficients = [step.beta1, 1 - step.beta1, step.beta2, 1 - step.beta2, step.eps, step.stepSize] as const;
  // elements [i0, i1): every pointer moves by i0 floats
  const args = (i0: number, i1: number) => [pg + 4 * i0, pm + 4 * i0, pv + 4 * i0, i1 - i0, ...coefficients,
    om + 4 * i0, ov + 4 * i0, ou + 4 * i0, pp === 0 ? 0 : pp + 4 * i0] as const;
  // a multiple of 4, so every element takes the same (vector or scalar) path as in one call: same bits
  const half = (n >> 3) << 2;
  if (helper !== undefined && n >= ADAM_SHARE_MIN && helper.ready()) {
    const [a, b, c, len, b1, c1, b2, c2, eps, size, o1, o2, o3, p] = args(half, n);
    helper.post([JOB_ADAM, a, b, c, len, floatBits(b1), floatBits(c1), floatBits(b2), floatBits(c2), floatBits(eps),
      floatBits(size), o1, o2, o3, p]);
    ex.adam(...args(0, half));
    if (!helper.join()) ex.adam(...args(half, n));
  } else {
    ex.adam(...args(0, n));
  }
  arena.getAndKeep(om, outM);
  arena.getAndKeep(ov, outV);
  arena.getAndKeep(ou, outUpdate);
};
