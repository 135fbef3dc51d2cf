/** The fused Adam update through the wasm kernels, its elements split over two threads when there are many. */
import type { AdamArgs } from '../kernels.ts';
import type { Float32Args, WasmContext } from './kernels.ts';

/** Below this many elements a second thread costs more than it saves (a memory-bound pass). */
export const ADAM_SHARE_MIN = 65536;

/** See Kernels.adam (float32). */
export const wasmAdam = ({ ex, arena, helper }: WasmContext,
  { g, m, v, step, params, outM, outV, outUpdate }: Float32Args<AdamArgs>): void => {
  const n = g.length;
  if (n === 0) return;
  arena.reset();
  const pg = arena.put(g);
  const pm = arena.put(m);
  const pv = arena.put(v);
  const pp = params !== undefined ? arena.put(params) : 0; // 0 is below the arena: "no params"
  const om = arena.output(n * 4);
  const ov = arena.output(n * 4);
  const ou = arena.output(n * 4);
  const { beta1, beta2, eps, stepSize } = step;
  // elements [i0, i1): every pointer moves by i0 floats
  const args = (i0: number, i1: number) => [pg + 4 * i0, pm + 4 * i0, pv + 4 * i0, i1 - i0, beta1, 1 - beta1, beta2,
    1 - beta2, eps, stepSize, om + 4 * i0, ov + 4 * i0, ou + 4 * i0, pp === 0 ? 0 : pp + 4 * i0] as const;
  // a multiple of 4, so every element takes the same (vector or scalar) path as in one call: same bits
  const half = (n >> 3) << 2;
  if (helper !== undefined && n >= ADAM_SHARE_MIN && helper.ready()) {
    helper.post('adam', args(half, n));
    ex.adam(...args(0, half));
    if (!helper.join()) ex.adam(...args(half, n));
  } else {
    ex.adam(...args(0, n));
  }
  arena.getAndKeep(om, outM);
  arena.getAndKeep(ov, outV);
  arena.getAndKeep(ou, outUpdate);
};
