/** Entry of the tenfold WebAssembly kernels; every export is called from the TypeScript glue. */
export { gemm, gemmScratchBytes } from './gemm';

/** First byte past static data: the glue's scratch arena starts at or after it. */
export function heapBase(): usize {
  return __heap_base;
}
