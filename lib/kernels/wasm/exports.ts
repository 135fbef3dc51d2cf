/** The functions the AssemblyScript module exports (pointers are byte offsets into memory). */

import type { WasmInstance } from './api.ts';

/** Typed view of the kernel module's exports. */
export interface WasmExports {
  readonly heapBase: () => number;
  readonly relaxed: () => number;
  readonly gemmScratchBytes: () => number;
  readonly gemm: (transA: number, transB: number, m: number, n: number, k: number, a: number, b: number,
    c: number, i0: number, i1: number, j0: number, j1: number, scratch: number) => void;
  readonly unary: (op: number, x: number, out: number, len: number) => void;
  readonly binary: (op: number, a: number, b: number, out: number, rank: number, shape: number,
    aStrides: number, bStrides: number, index: number) => void;
  readonly scaleShift: (x: number, s: number, t: number, out: number, len: number) => void;
  readonly addRowVector: (x: number, bias: number, rows: number, cols: number, out: number) => void;
  readonly sumRows: (x: number, rows: number, cols: number, out: number) => void;
  readonly reluBackward: (x: number, dy: number, out: number, len: number) => void;
  readonly reduce: (op: number, x: number, outer: number, len: number, inner: number, out: number,
    scratch: number) => void;
  readonly argmax: (x: number, outer: number, len: number, inner: number, out: number) => void;
  readonly softmax: (x: number, rows: number, cols: number, out: number) => void;
  readonly adam: (g: number, m: number, v: number, len: number, beta1: number, oneMinusBeta1: number,
    beta2: number, oneMinusBeta2: number, eps: number, stepSize: number, outM: number, outV: number,
    outU: number, params: number) => void;
  readonly im2col: (x: number, geometry: number, out: number) => void;
  readonly col2im: (cols: number, geometry: number, out: number) => void;
  readonly convForwardScratchBytes: (geometry: number, filters: number, flags: number) => number;
  readonly convBackwardScratchBytes: (geometry: number, filters: number) => number;
  readonly conv2dForward: (x: number, w: number, bias: number, geometry: number, filters: number, flags: number, out: number,
    n0: number, n1: number, taken: number, scratch: number) => void;
  readonly conv2dBackward: (x: number, w: number, dy: number, reluOut: number, geometry: number, filters: number, dx: number,
    dw: number, db: number, n: number, chunks: number, taken: number, scratch: number) => void;
  readonly convPoolForwardScratchBytes: (geometry: number, poolGeometry: number, filters: number, flags: number) => number;
  readonly conv2dPoolForward: (x: number, w: number, bias: number, geometry: number, poolGeometry: number, filters: number,
    flags: number, out: number, arg: number, n0: number, n1: number, taken: number, scratch: number) => void;
  readonly conv2dPoolBackward: (x: number, w: number, dy: number, arg: number, reluPooled: number, geometry: number,
    poolGeometry: number, filters: number, dx: number, dw: number, db: number, n: number, chunks: number, taken: number,
    scratch: number) => void;
  readonly addSlots: (slots: number, count: number, len: number) => void;
  readonly maxPool: (x: number, geometry: number, out: number, arg: number) => void;
  readonly maxPoolBackward: (dy: number, arg: number, len: number, out: number, outLen: number) => void;
  readonly avgPool: (x: number, geometry: number, out: number) => void;
  readonly avgPoolBackward: (dy: number, geometry: number, out: number) => void;
  readonly channelMoments: (x: number, n: number, c: number, inner: number, outMean: number, outVar: number) => void;
  readonly channelSums: (x: number, gate: number, y: number, withDot: number, n: number, c: number, inner: number,
    outSum: number, outDot: number) => void;
  readonly channelAffine: (x: number, gate: number, sx: number, y: number, sy: number, withY: number, shift: number,
    n: number, c: number, inner: number, relu: number, out: number) => void;
}

const names: ReadonlyArray<keyof WasmExports> = [
  'heapBase', 'relaxed', 'gemmScratchBytes', 'gemm', 'unary', 'binary', 'scaleShift', 'addRowVector',
  'sumRows', 'reluBackward', 'reduce', 'argmax', 'softmax', 'adam', 'im2col', 'col2im',
  'convForwardScratchBytes', 'convBackwardScratchBytes', 'conv2dForward', 'conv2dBackward',
  'convPoolForwardScratchBytes', 'conv2dPoolForward', 'conv2dPoolBackward', 'addSlots', 'maxPool',
  'maxPoolBackward', 'avgPool', 'avgPoolBackward', 'channelMoments', 'channelSums', 'channelAffine',
];

/** Checks that an instance has every expected function (a stale build fails here, not later). */
export const asExports = (instance: WasmInstance): WasmExports => {
  const missing = names.filter((name) => typeof instance.exports[name] !== 'function');
  if (missing.length > 0) throw new Error(`wasm kernels lack ${missing.join(', ')}: rebuild with npm run build`);
  return instance.exports as unknown as WasmExports;
};
