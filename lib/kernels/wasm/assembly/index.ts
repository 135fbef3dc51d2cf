/** Entry of the tenfold WebAssembly kernels; every export is called from the TypeScript glue. */
export { gemm, gemmScratchBytes } from './gemm';
// Exported only so Binaryen keeps them out of line: inlined into their callers, V8 spills accumulators.
export { micro5x8, micro6x8 } from './micro';
export { directTile5, directTile6 } from './direct';
export { weightTile1, weightTile2 } from './direct-weights';
export { unary } from './unary';
export { binary } from './binary';
export { scaleShift, addRowVector, sumRows, reluBackward } from './affine';
export { reduce, argmax, softmax } from './reduce';
export { adam } from './adam';
export { im2col, col2im } from './window';
export {
  conv2dForward, conv2dBackward, convForwardScratchBytes, convBackwardScratchBytes,
  conv2dPoolForward, conv2dPoolBackward, convPoolForwardScratchBytes, addSlots,
} from './conv';
export { maxPool, maxPoolBackward, avgPool, avgPoolBackward } from './pool';
export { channelMoments, channelSums, channelAffine } from './channel';

/** First byte past static data: the glue's scratch arena starts at or after it. */
export function heapBase(): usize {
  return __heap_base;
}

/** 1 in the relaxed-SIMD (FMA) build, 0 in the plain SIMD build. */
export function relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
