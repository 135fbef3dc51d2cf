/** GEMM through the wasm kernels, split over two threads when the product is large. */
import type { GemmArgs } from '../kernels.ts';
import type { Float32Args, WasmContext } from './kernels.ts';

/** Below this many flops (2·m·n·k) a second thread costs more than it saves (measured). */
export const THREAD_MIN_FLOPS = 2 * 96 * 96 * 96;

/**
 * Split points are multiples of these: whole micro-tiles of the relaxed build (MR = 6 rows,
 * NR = 8 columns; the plain build's MR = 5 only moves an edge tile). The bits do not depend on
 * where C is cut: every element sums over k in the same order.
 */
const ROW_ALIGN = 6;
const COL_ALIGN = 8;

/** A sub-block of C: rows [i0, i1) × columns [j0, j1). */
type Block = readonly [i0: number, i1: number, j0: number, j1: number];

/** out = op(A)·op(B) for Float32 buffers (see Kernels.gemm). */
export const wasmGemm = ({ ex, arena, helper }: WasmContext,
  { transA, transB, m, n, k, a, b, out }: Float32Args<GemmArgs>): void => {
  if (m === 0 || n === 0) return;
  if (k === 0) { out.fill(0); return; }
  arena.reset();
  const pa = arena.put(a.length === m * k ? a : a.subarray(0, m * k));
  const pb = arena.put(b.length === k * n ? b : b.subarray(0, k * n));
  const pc = arena.output(m * n * 4);
  const scratch = arena.alloc(ex.gemmScratchBytes());
  const ta = transA ? 1 : 0;
  const tb = transB ? 1 : 0;
  const args = ([i0, i1, j0, j1]: Block, s: number) => [ta, tb, m, n, k, pa, pb, pc, i0, i1, j0, j1, s] as const;
  const halves = helper !== undefined && 2 * m * n * k >= THREAD_MIN_FLOPS ? split(m, n) : undefined;
  if (halves !== undefined && helper !== undefined && helper.ready()) {
    const [mine, theirs] = halves;
    const theirScratch = arena.alloc(ex.gemmScratchBytes());
    helper.post('gemm', args(theirs, theirScratch));
    ex.gemm(...args(mine, scratch));
    if (!helper.join()) ex.gemm(...args(theirs, theirScratch));
  } else {
    ex.gemm(...args([0, m, 0, n], scratch));
  }
  arena.getAndKeep(pc, out);
};

/** C cut in two along its longer side at whole tiles; undefined when too thin to cut. */
const split = (m: number, n: number): readonly [Block, Block] | undefined => {
  if (m >= n) {
    const at = Math.round(m / 2 / ROW_ALIGN) * ROW_ALIGN;
    return at > 0 && at < m ? [[0, at, 0, n], [at, m, 0, n]] : undefined;
  }
  const at = Math.round(n / 2 / COL_ALIGN) * COL_ALIGN;
  return at > 0 && at < n ? [[0, m, 0, at], [0, m, at, n]] : undefined;
};
