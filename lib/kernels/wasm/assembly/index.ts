/**
 * Entry of the tenfold WebAssembly kernels; every export is called from the TypeScript glue.
 * The kernel files below are re-exported whole: each exports only functions the glue calls, so a
 * new kernel in one of them needs no line here (a new file needs its `export *`).
 */
export * from './unary';
export * from './binary';
export * from './affine';
export * from './reduce';
export * from './adam';
export * from './window';
export * from './conv';
export * from './pool';
export * from './channel';
export * from './lookup';
// Files with internal helpers export by name.
export { gemm, gemmScratchBytes } from './gemm';
// Exported only so Binaryen keeps them out of line: inlined into their callers, V8 spills accumulators.
export { micro5x8, micro6x8 } from './micro';
export { directTile5, directTile6 } from './direct';
export { poolTile5, poolTile6 } from './direct-pool';
export { weightTile1, weightTile2 } from './direct-weights';

/** First byte past static data: the glue's scratch arena starts at or after it. */
export function heapBase(): usize {
  return __heap_base;
}

/** 1 in the relaxed-SIMD (FMA) build, 0 in the plain SIMD build. */
export function relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
