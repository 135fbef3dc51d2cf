/**
 * Packing of GEMM operands into contiguous micro-panels. Transposes are absorbed here, so the
 * micro-kernel always reads A as MR-row slivers and B as NR-column slivers, zero-padded.
 */
import { MR, NR } from './tile';
import { transpose4 } from './simd';

/**
 * Packs rows [i0, i0+mc) × depth [p0, p0+kc) of op(A) into dst: panel r of MR rows holds
 * element (row, p) at dst[r·MR·kc + p·MR + row]. A is m×k, or k×m when transA.
 */
export function packA(transA: bool, a: usize, m: i32, k: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const panel = dst + (<usize>(ir * kc) << 2);
    const i = i0 + ir;
    if (rows == MR && transA) {
      // element (i, p) at a[p·m + i]: the MR rows are contiguous
      let src = a + (<usize>(p0 * m + i) << 2);
      const step = <usize>m << 2;
      for (let p = 0; p < kc; p++, src += step) {
        const d = panel + (<usize>(p * MR) << 2);
        v128.store(d, v128.load(src));
        for (let r = 4; r < MR; r++) store<f32>(d + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
      }
    } else if (rows == MR) {
      // element (i, p) at a[i·k + p]: transpose 4×4 blocks of rows 0..3, copy the rest
      const r0 = a + (<usize>(i * k + p0) << 2);
      const ld = <usize>k << 2;
      const stride = <usize>MR << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        const d = panel + <usize>p * stride;
        transpose4(v128.load(r0 + o), v128.load(r0 + ld + o), v128.load(r0 + 2 * ld + o),
          v128.load(r0 + 3 * ld + o), d, stride);
        for (let r = 4; r < MR; r++) {
          const v = v128.load(r0 + <usize>r * ld + o);
          const dr = d + (<usize>r << 2);
          store<f32>(dr, f32x4.extract_lane(v, 0));
          store<f32>(dr + stride, f32x4.extract_lane(v, 1));
          store<f32>(dr + 2 * stride, f32x4.extract_lane(v, 2));
          store<f32>(dr + 3 * stride, f32x4.extract_lane(v, 3));
        }
      }
      for (; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          store<f32>(panel + (<usize>(p * MR + r) << 2), load<f32>(r0 + <usize>r * ld + (<usize>p << 2)));
        }
      }
    } else {
      // an edge panel: its rows one by one (A's row, or column when transA, at a fixed step), then zeros
      const step: usize = transA ? <usize>m << 2 : 4;
      for (let r = 0; r < rows; r++) {
        let src = a + (<usize>(transA ? p0 * m + i + r : (i + r) * k + p0) << 2);
        let d = panel + (<usize>r << 2);
        for (let p = 0; p < kc; p++, src += step, d += <usize>MR << 2) store<f32>(d, load<f32>(src));
      }
      for (let p = 0; p < kc; p++) {
        for (let r = rows; r < MR; r++) store<f32>(panel + (<usize>(p * MR + r) << 2), 0);
      }
    }
  }
}

/**
 * Packs depth [p0, p0+kc) × columns [j0, j0+nc) of op(B) into dst: panel s of NR columns holds
 * element (p, col) at dst[s·NR·kc + p·NR + col]. B is k×n, or n×k when transB.
 */
export function packB(transB: bool, b: usize, n: i32, k: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const panel = dst + (<usize>(jr * kc) << 2);
    const j = j0 + jr;
    if (cols == NR && !transB) {
      // element (p, j) at b[p·n + j]: NR columns are contiguous
      let src = b + (<usize>(p0 * n + j) << 2);
      const step = <usize>n << 2;
      for (let p = 0; p < kc; p++, src += step) {
        const o = panel + (<usize>p << 5);
        v128.store(o, v128.load(src));
        v128.store(o, v128.load(src, 16), 16);
      }
    } else if (cols == NR) {
      // element (p, j) at b[j·k + p]: transpose 4×4 blocks of two groups of 4 columns
      const ld = <usize>k << 2;
      const r0 = b + (<usize>(j * k + p0) << 2);
      const r4 = r0 + 4 * ld;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        const d = panel + (<usize>p << 5);
        transpose4(v128.load(r0 + o), v128.load(r0 + ld + o), v128.load(r0 + 2 * ld + o),
          v128.load(r0 + 3 * ld + o), d, 32);
        transpose4(v128.load(r4 + o), v128.load(r4 + ld + o), v128.load(r4 + 2 * ld + o),
          v128.load(r4 + 3 * ld + o), d + 16, 32);
      }
      for (; p < kc; p++) {
        for (let c = 0; c < NR; c++) {
          store<f32>(panel + (<usize>(p * NR + c) << 2), load<f32>(r0 + <usize>c * ld + (<usize>p << 2)));
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let c = 0; c < NR; c++) {
          let v: f32 = 0;
          if (c < cols) {
            const idx = transB ? (j + c) * k + p0 + p : (p0 + p) * n + j + c;
            v = load<f32>(b + (<usize>idx << 2));
          }
          store<f32>(panel + (<usize>(p * NR + c) << 2), v);
        }
      }
    }
  }
}
