/**
 * The WebAssembly backend: every Kernels method copies its float32 inputs into the wasm
 * memory, runs the AssemblyScript kernel and copies the result out into `out`. Anything that
 * is not float32 goes to the reference kernels (withReference). Each kernel is one entry in
 * createWasmKernels, and the exports it calls are described once, in kernelExports/sizeExports.
 */
import {
  type AdamArgs, type BinaryOp, type DecodeRowsArgs, type FloatArray, type Kernels, type ReduceOp, type UnaryOp,
  type Window2D,
} from '../kernels.ts';
import { referenceKernels as ref } from '../reference.ts';
import type { WasmInstance } from './api.ts';
import { Arena, DEFAULT_RESIDENT_BYTES, type Copyable } from './arena.ts';
import { Binary, Reduce, Unary } from './assembly/codes.ts';
import { coalesce } from './strides.ts';
import { wasmGemm } from './gemm.ts';
import { wasmAdam } from './adam.ts';
import { wasmBatchNormBackward, wasmChannelAffine, wasmChannelSums } from './channel.ts';
import {
  geometryWords, wasmConv2dBackward, wasmConv2dForward, wasmConv2dPoolBackward, wasmConv2dPoolForward,
} from './conv.ts';
import { CONTROL_BYTES, Helper } from './helper.ts';
import { wasmDecodeRows } from './decode.ts';
import type { LoadedKernels } from './load.ts';

/**
 * The module's kernel exports and their parameters, all i32 or f32 numbers (pointers are byte
 * offsets into memory); they return nothing. The one list: it types WasmExports, and
 * createWasmKernels checks every name and parameter count against the loaded module.
 */
const kernelExports = {
  gemm: ['transA', 'transB', 'm', 'n', 'k', 'a', 'b', 'c', 'i0', 'i1', 'j0', 'j1', 'scratch'],
  unary: ['op', 'x', 'out', 'len'],
  binary: ['op', 'a', 'b', 'out', 'rank', 'shape', 'aStrides', 'bStrides', 'index'],
  scaleShift: ['x', 's', 't', 'out', 'len'],
  addRowVector: ['x', 'bias', 'rows', 'cols', 'out'],
  sumRows: ['x', 'rows', 'cols', 'out'],
  reluBackward: ['x', 'dy', 'out', 'len'],
  lookupBytes: ['bytes', 'table', 'out', 'len'],
  reduce: ['op', 'x', 'outer', 'len', 'inner', 'out', 'scratch'],
  argmax: ['x', 'outer', 'len', 'inner', 'out'],
  softmax: ['x', 'rows', 'cols', 'out'],
  adam: ['g', 'm', 'v', 'len', 'beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'eps', 'stepSize', 'outM', 'outV',
    'outU', 'params'],
  im2col: ['x', 'geometry', 'out'],
  col2im: ['cols', 'geometry', 'out'],
  conv2dForward: ['x', 'w', 'bias', 'geometry', 'filters', 'flags', 'out', 'n0', 'n1', 'taken', 'scratch'],
  conv2dBackward: ['x', 'w', 'dy', 'reluOut', 'geometry', 'filters', 'dx', 'dw', 'db', 'n', 'chunks', 'taken', 'scratch'],
  conv2dPoolForward: ['x', 'w', 'bias', 'geometry', 'poolGeometry', 'filters', 'flags', 'out', 'arg', 'n0', 'n1', 'taken',
    'scratch'],
  conv2dPoolBackward: ['x', 'w', 'dy', 'arg', 'reluPooled', 'geometry', 'poolGeometry', 'filters', 'dx', 'dw', 'db', 'n',
    'chunks', 'taken', 'scratch'],
  addSlots: ['slots', 'count', 'len'],
  maxPool: ['x', 'geometry', 'out', 'arg'],
  maxPoolBackward: ['dy', 'arg', 'len', 'out', 'outLen'],
  avgPool: ['x', 'geometry', 'out'],
  avgPoolBackward: ['dy', 'geometry', 'out'],
  channelMoments: ['x', 'n', 'c', 'inner', 'outMean', 'outVar'],
  channelSums: ['x', 'gate', 'y', 'withDot', 'n', 'c', 'inner', 'outSum', 'outDot'],
  channelAffine: ['x', 'gate', 'sx', 'y', 'sy', 'withY', 'shift', 'n', 'c', 'inner', 'relu', 'out'],
} as const;

/** The exports that return a number (byte counts, the build flag), and their parameters. */
const sizeExports = {
  heapBase: [],
  relaxed: [],
  gemmScratchBytes: [],
  convForwardScratchBytes: ['geometry', 'filters', 'flags'],
  convBackwardScratchBytes: ['geometry', 'filters'],
  convPoolForwardScratchBytes: ['geometry', 'poolGeometry', 'filters', 'flags'],
} as const;

/** A parameter-name list as the numbers a call passes. */
type Numbers<P extends readonly string[]> = { -readonly [I in keyof P]: number };
type Functions<D extends Readonly<Record<string, readonly string[]>>, R> = { readonly [K in keyof D]: (...args: Numbers<D[K]>) => R };

/** Typed view of the kernel module's exports. */
export type WasmExports = Functions<typeof kernelExports, void> & Functions<typeof sizeExports, number>;

/** The instance's exports, once each described function is there with its parameter count (a stale build fails here). */
const checkedExports = (instance: WasmInstance): WasmExports => {
  const wrong = Object.entries({ ...kernelExports, ...sizeExports }).filter(([name, params]) => {
    const f = instance.exports[name];
    return typeof f !== 'function' || f.length !== params.length;
  });
  if (wrong.length > 0) {
    throw new Error(`wasm kernels lack ${wrong.map(([name]) => name).join(', ')} as described: rebuild with npm run build`);
  }
  return instance.exports as unknown as WasmExports;
};

/** The AssemblyScript enums as code tables, once their members are exactly the contract's ops. */
const codesOf = <Op extends string>() => <E extends Record<Op, number>>(e: E & Record<Exclude<keyof E, Op>, never>): Readonly<Record<Op, number>> => e;
const unaryCode = codesOf<UnaryOp>()(Unary);
const binaryCode = codesOf<BinaryOp>()(Binary);
const reduceCode = codesOf<ReduceOp>()(Reduce);

/** A float buffer type as float32 (other types as they are). */
type Float32Only<T> = T extends FloatArray ? Float32Array : T;

/** A kernel argument with every float buffer as float32: the argument itself, or the fields of an args object. */
export type Float32Args<T> = T extends FloatArray | Int32Array | readonly unknown[] | string | number | boolean | undefined
  ? Float32Only<T> : { readonly [K in keyof T]: Float32Only<T[K]> };

/** A kernel's parameter list with every float buffer as float32. */
type Float32Params<P extends readonly unknown[]> = { [I in keyof P]: Float32Args<P[I]> };

/** Whether a call holds a float64 buffer, as an argument or as a field of an args object. */
const hasFloat64 = (args: readonly unknown[]): boolean => {
  for (const a of args) {
    if (a instanceof Float64Array) return true;
    if (typeof a !== 'object' || a === null || ArrayBuffer.isView(a) || Array.isArray(a)) continue;
    for (const key in a) if ((a as Readonly<Record<string, unknown>>)[key] instanceof Float64Array) return true;
  }
  return false;
};

/** A kernel that runs `float32` on float32 calls and sends every other call to the reference. */
const withReference = <P extends unknown[]>(reference: (...args: P) => void, float32: (...args: Float32Params<P>) => void) =>
  // without a float64 buffer every float buffer is float32 (one dtype per call, see Kernels)
  (...args: P): void => (hasFloat64(args) ? reference(...args) : float32(...(args as unknown as Float32Params<P>)));

/**
 * The arena session of most kernels: copies `inputs` in, reserves room for `outputs`, runs the
 * export on their offsets, and copies the outputs out (kept resident when large). Nothing to do
 * when the first output is empty.
 */
const session = (arena: Arena, inputs: readonly Copyable[], outputs: readonly Copyable[],
  run: (at: readonly number[], out: readonly number[]) => void): void => {
  if (outputs[0].length === 0) return;
  arena.reset();
  const at = inputs.map((x) => arena.put(x));
  const out = outputs.map((o) => arena.output(o.length * 4));
  run(at, out);
  outputs.forEach((o, i) => arena.getAndKeep(out[i], o));
};

/** What the glue of the larger kernels works with. */
export interface WasmContext {
  readonly ex: WasmExports;
  readonly arena: Arena;
  /** The second thread, when enabled. */
  readonly helper: Helper | undefined;
  /** See WasmOptions.winograd. */
  readonly winograd: boolean;
}

/** The wasm backend: Kernels plus a probe of its GEMM helper thread. */
export interface WasmKernels extends Kernels {
  /** Whether large GEMMs run on two threads now (starts the helper if it is enabled). */
  readonly threadsReady: () => boolean;
}

/** Choices of the wasm backend beyond its build and threads. */
export interface WasmOptions {
  /**
   * Whether 3×3 stride-1 convolutions with at least 4 channels may run Winograd F(4×4, 3×3)
   * (default true): their forward pass, and dx in the backward pass when dy has 4 or more
   * channels. 1.5–3× faster at DeepConvNet's shapes; rounding differs from the direct kernel's
   * by about 1e-6 to 1e-5 of Σ|w·x|.
   */
  readonly winograd?: boolean;
  /**
   * Bytes of wasm memory, at least, that keep recent outputs resident (default 24 MiB; it grows
   * to three times the largest output), so an output fed to a later kernel (an activation, dW,
   * Adam's moments, new parameters) is not copied in again. 0 keeps none: every input is copied in.
   */
  readonly residentBytes?: number;
}

/** Builds the backend on a loaded module; `threads` = 2 lets large GEMMs use a helper thread. */
export const createWasmKernels = (loaded: LoadedKernels, threads: number, options: WasmOptions = {}): WasmKernels => {
  const ex = checkedExports(loaded.instance);
  // the helper's control words sit between static data and the arena (all in the first page)
  const control = Math.ceil(ex.heapBase() / 64) * 64;
  const arena = new Arena(loaded.memory, control + CONTROL_BYTES, options.residentBytes ?? DEFAULT_RESIDENT_BYTES);
  const helper = threads > 1 ? new Helper(loaded, control) : undefined;
  const ctx: WasmContext = { ex, arena, helper, winograd: options.winograd ?? true };
  const geometry = (g: Window2D): number => arena.ints(geometryWords(g));

  return {
    name: `wasm-${loaded.variant}`,
    threadsReady: () => helper !== undefined && helper.ready(),
    gemm: withReference(ref.gemm, (a) => wasmGemm(ctx, a)),
    unary: withReference(ref.unary, (op, x, out) =>
      session(arena, [x], [out], ([px], [po]) => ex.unary(unaryCode[op], px, po, x.length))),
    binary: withReference(ref.binary, ({ op, a, aStrides, b, bStrides, outShape, out }) => {
      const s = coalesce({ shape: outShape, aStrides, bStrides });
      session(arena, [a, b], [out], ([pa, pb], [po]) => ex.binary(binaryCode[op], pa, pb, po, s.shape.length,
        arena.ints(s.shape), arena.ints(s.aStrides), arena.ints(s.bStrides), arena.alloc(s.shape.length * 4)));
    }),
    scaleShift: withReference(ref.scaleShift, (x, s, t, out) =>
      session(arena, [x], [out], ([px], [po]) => ex.scaleShift(px, s, t, po, x.length))),
    addRowVector: withReference(ref.addRowVector, (x, bias, rows, cols, out) =>
      session(arena, [x, bias], [out], ([px, pb], [po]) => ex.addRowVector(px, pb, rows, cols, po))),
    sumRows: withReference(ref.sumRows, (x, rows, cols, out) =>
      session(arena, [x], [out], ([px], [po]) => ex.sumRows(px, rows, cols, po))),
    reluBackward: withReference(ref.reluBackward, (x, dy, out) =>
      session(arena, [x, dy], [out], ([px, pd], [po]) => ex.reluBackward(px, pd, po, x.length))),
    decodeRows: withReference<[DecodeRowsArgs]>(ref.decodeRows, (a) => wasmDecodeRows(ctx, a)),
    // nothing to reduce over: the reference's fill values
    reduce: withReference(ref.reduce, (op, x, outer, len, inner, out) => (len === 0 ? ref.reduce(op, x, outer, len, inner, out)
      : session(arena, [x], [out], ([px], [po]) => ex.reduce(reduceCode[op], px, outer, len, inner, po, arena.alloc(inner * 8))))),
    argmax: withReference(ref.argmax, (x, outer, len, inner, out) =>
      session(arena, [x], [out], ([px], [po]) => ex.argmax(px, outer, len, inner, po))),
    softmax: withReference(ref.softmax, (x, rows, cols, out) =>
      session(arena, [x], [out], ([px], [po]) => ex.softmax(px, rows, cols, po))),
    adam: withReference<[AdamArgs]>(ref.adam, (a) => wasmAdam(ctx, a)),
    im2col: withReference(ref.im2col, (x, g, out) =>
      session(arena, [x], [out], ([px], [po]) => ex.im2col(px, geometry(g), po))),
    col2im: withReference(ref.col2im, (cols, g, out) =>
      session(arena, [cols], [out], ([pc], [po]) => ex.col2im(pc, geometry(g), po))),
    conv2dForward: withReference(ref.conv2dForward, (a) => wasmConv2dForward(ctx, a)),
    conv2dBackward: withReference(ref.conv2dBackward, (a) => wasmConv2dBackward(ctx, a)),
    conv2dPoolForward: withReference(ref.conv2dPoolForward, (a) => wasmConv2dPoolForward(ctx, a)),
    conv2dPoolBackward: withReference(ref.conv2dPoolBackward, (a) => wasmConv2dPoolBackward(ctx, a)),
    // without an argmax the kernel still writes one, into scratch
    maxPool: withReference(ref.maxPool, ({ x, g, out, argmax }) =>
      session(arena, [x], argmax === undefined ? [out] : [out, argmax], ([px], [po, pi]) =>
        ex.maxPool(px, geometry(g), po, argmax === undefined ? arena.alloc(out.length * 4) : pi))),
    maxPoolBackward: withReference(ref.maxPoolBackward, (dy, argmax, out) =>
      session(arena, [dy, argmax.length === dy.length ? argmax : argmax.subarray(0, dy.length)], [out],
        ([pd, pi], [po]) => ex.maxPoolBackward(pd, pi, dy.length, po, out.length))),
    avgPool: withReference(ref.avgPool, (x, g, out) =>
      session(arena, [x], [out], ([px], [po]) => ex.avgPool(px, geometry(g), po))),
    avgPoolBackward: withReference(ref.avgPoolBackward, (dy, g, out) =>
      session(arena, [dy], [out], ([pd], [po]) => ex.avgPoolBackward(pd, geometry(g), po))),
    channelMoments: withReference(ref.channelMoments, ({ x, n, c, inner, outMean, outVar }) =>
      session(arena, [x], [outMean, outVar], ([px], [pm, pv]) => ex.channelMoments(px, n, c, inner, pm, pv))),
    channelSums: withReference(ref.channelSums, (a) => wasmChannelSums(ctx, a)),
    channelAffine: withReference(ref.channelAffine, (a) => wasmChannelAffine(ctx, a)),
    batchNormBackward: withReference(ref.batchNormBackward, (a) => wasmBatchNormBackward(ctx, a)),
  };
};
