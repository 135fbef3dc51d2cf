/** Blocked GEMM over packed panels (Goto/BLIS loop order), one sub-block of C per call. */
import { MR, NR, KC, MC, NC } from './tile';
import { packA, packB } from './pack';
import { micro5x8, micro6x8 } from './micro';

const PACK_A_BYTES: usize = <usize>(MC * KC) << 2;
const PACK_B_BYTES: usize = <usize>(KC * NC) << 2;
const TILE_BYTES: usize = <usize>(MR * NR) << 2;

/** Bytes of scratch one gemm call needs (packed A block, packed B block, edge tile). */
export function gemmScratchBytes(): usize {
  return PACK_A_BYTES + PACK_B_BYTES + TILE_BYTES;
}

/**
 * Computes rows [i0, i1) × columns [j0, j1) of C[m×n] = op(A)·op(B) (C row stride n).
 * Two threads can fill disjoint sub-blocks at once, each with its own scratch.
 */
export function gemm(transA: bool, transB: bool, m: i32, n: i32, k: i32, a: usize, b: usize, c: usize,
  i0: i32, i1: i32, j0: i32, j1: i32, scratch: usize): void {
  gemmInto(transA, transB, m, n, k, a, b, c, i0, i1, j0, j1, scratch, false);
}

/** Like gemm; with `accumulate` the product is added to what C holds instead of replacing it. */
export function gemmInto(transA: bool, transB: bool, m: i32, n: i32, k: i32, a: usize, b: usize, c: usize,
  i0: i32, i1: i32, j0: i32, j1: i32, scratch: usize, accumulate: bool): void {
  const pa = scratch;
  const pb = scratch + PACK_A_BYTES;
  const tile = pb + PACK_B_BYTES;
  const ldc = <usize>n << 2;
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const acc = accumulate || pc > 0;
      packB(transB, b, n, k, pc, kc, jc, nc, pb);
      for (let ic = i0; ic < i1; ic += MC) {
        const mc = min(MC, i1 - ic);
        packA(transA, a, m, k, ic, mc, pc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bPanel = pb + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const aPanel = pa + (<usize>(ir * kc) << 2);
            const cTile = c + (<usize>(ic + ir) * ldc) + (<usize>(jc + jr) << 2);
            micro(kc, aPanel, bPanel, tile);
            if (rows == MR && cols == NR) mergeFull(tile, cTile, ldc, acc);
            else mergeEdge(tile, cTile, ldc, rows, cols, acc);
          }
        }
      }
    }
  }
}

/** The micro-kernel of this build's tile height (resolved at compile time). */
// @ts-ignore: decorator
@inline function micro(kc: i32, pa: usize, pb: usize, tile: usize): void {
  if (MR == 6) micro6x8(kc, pa, pb, tile);
  else micro5x8(kc, pa, pb, tile);
}

/** Copies (or adds, after the first depth block) a full MR×NR tile into C. */
function mergeFull(tile: usize, c: usize, ldc: usize, acc: bool): void {
  for (let r = 0; r < MR; r++, c += ldc, tile += <usize>NR << 2) {
    let lo = v128.load(tile);
    let hi = v128.load(tile, 16);
    if (acc) {
      lo = f32x4.add(lo, v128.load(c));
      hi = f32x4.add(hi, v128.load(c, 16));
    }
    v128.store(c, lo);
    v128.store(c, hi, 16);
  }
}

/** Copies (or adds) the valid rows×cols corner of an edge tile into C. */
function mergeEdge(tile: usize, c: usize, ldc: usize, rows: i32, cols: i32, acc: bool): void {
  for (let r = 0; r < rows; r++) {
    const src = tile + (<usize>(r * NR) << 2);
    const dst = c + <usize>r * ldc;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(src + o);
      store<f32>(dst + o, acc ? v + load<f32>(dst + o) : v);
    }
  }
}
