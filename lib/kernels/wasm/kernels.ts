/**
 * The WebAssembly backend: every Kernels method copies its float32 inputs into the wasm
 * memory, runs the AssemblyScript kernel and copies the result out into `out`. Anything that
 * is not float32 goes to the reference kernels.
 */
import type { FloatArray, Kernels } from '../kernels.ts';
import { referenceKernels as ref } from '../reference.ts';
import { Arena, DEFAULT_RESIDENT_BYTES } from './arena.ts';
import { binaryCode, reduceCode, unaryCode } from './codes.ts';
import { coalesce } from './strides.ts';
import { wasmGemm } from './gemm.ts';
import { wasmAdam } from './adam.ts';
import { wasmBatchNormBackward, wasmChannelAffine, wasmChannelMoments, wasmChannelSums } from './channel.ts';
import {
  geometryWords, wasmConv2dBackward, wasmConv2dForward, wasmConv2dPoolBackward, wasmConv2dPoolForward,
} from './conv.ts';
import { CONTROL_BYTES, Helper } from './helper.ts';
import type { LoadedKernels } from './load.ts';

const isF32 = (x: FloatArray): x is Float32Array => x instanceof Float32Array;

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
  const winograd = options.winograd ?? true;
  const ex = loaded.exports;
  // the helper's control words sit between static data and the arena (all in the first page)
  const control = Math.ceil(ex.heapBase() / 64) * 64;
  const arena = new Arena(loaded.memory, control + CONTROL_BYTES, options.residentBytes ?? DEFAULT_RESIDENT_BYTES);
  const helper = threads > 1 ? new Helper(loaded, control) : undefined;

  return {
    name: `wasm-${loaded.variant}`,
    // every result is copied out whole from scratch memory the kernel filled
    overwritesOutputs: true,
    threadsReady: () => helper !== undefined && helper.ready(),

    gemm: (transA, transB, m, n, k, a, b, out) => {
      if (!isF32(a) || !isF32(b) || !isF32(out)) return ref.gemm(transA, transB, m, n, k, a, b, out);
      wasmGemm(ex, arena, helper, transA, transB, m, n, k, a, b, out);
    },

    unary: (op, x, out) => {
      if (!isF32(x) || !isF32(out)) return ref.unary(op, x, out);
      if (x.length === 0) return;
      arena.reset();
      const px = arena.put(x);
      const po = arena.output(x.length * 4);
      ex.unary(unaryCode[op], px, po, x.length);
      arena.getAndKeep(po, out);
    },

    binary: (op, a, aStrides, b, bStrides, outShape, out) => {
      if (!isF32(a) || !isF32(b) || !isF32(out)) return ref.binary(op, a, aStrides, b, bStrides, outShape, out);
      if (out.length === 0) return;
      const s = coalesce({ shape: outShape, aStrides, bStrides });
      arena.reset();
      const pa = arena.put(a);
      const pb = arena.put(b);
      const po = arena.output(out.length * 4);
      const rank = s.shape.length;
      ex.binary(binaryCode[op], pa, pb, po, rank, arena.ints(s.shape), arena.ints(s.aStrides),
        arena.ints(s.bStrides), arena.alloc(rank * 4));
      arena.getAndKeep(po, out);
    },

    scaleShift: (x, s, t, out) => {
      if (!isF32(x) || !isF32(out)) return ref.scaleShift(x, s, t, out);
      if (x.length === 0) return;
      arena.reset();
      const px = arena.put(x);
      const po = arena.output(x.length * 4);
      ex.scaleShift(px, s, t, po, x.length);
      arena.getAndKeep(po, out);
    },

    addRowVector: (x, bias, rows, cols, out) => {
      if (!isF32(x) || !isF32(bias) || !isF32(out)) return ref.addRowVector(x, bias, rows, cols, out);
      if (rows * cols === 0) return;
      arena.reset();
      const px = arena.put(x);
      const pb = arena.put(bias);
      const po = arena.output(rows * cols * 4);
      ex.addRowVector(px, pb, rows, cols, po);
      arena.getAndKeep(po, out);
    },

    sumRows: (x, rows, cols, out) => {
      if (!isF32(x) || !isF32(out)) return ref.sumRows(x, rows, cols, out);
      if (cols === 0) return;
      arena.reset();
      const px = arena.put(x);
      const po = arena.output(cols * 4);
      ex.sumRows(px, rows, cols, po);
      arena.getAndKeep(po, out);
    },

    reluBackward: (x, dy, out) => {
      if (!isF32(x) || !isF32(dy) || !isF32(out)) return ref.reluBackward(x, dy, out);
      if (x.length === 0) return;
      arena.reset();
      const px = arena.put(x);
      const pd = arena.put(dy);
      const po = arena.output(x.length * 4);
      ex.reluBackward(px, pd, po, x.length);
      arena.getAndKeep(po, out);
    },

    reduce: (op, x, outer, len, inner, out) => {
      if (!isF32(x) || !isF32(out)) return ref.reduce(op, x, outer, len, inner, out);
      if (outer * inner === 0) return;
      if (len === 0) return ref.reduce(op, x, outer, len, inner, out);
      arena.reset();
      const px = arena.put(x);
      const po = arena.output(outer * inner * 4);
      ex.reduce(reduceCode[op], px, outer, len, inner, po, arena.alloc(inner * 8));
      arena.getAndKeep(po, out);
    },

    argmax: (x, outer, len, inner, out) => {
      if (!isF32(x)) return ref.argmax(x, outer, len, inner, out);
      if (outer * inner === 0) return;
      arena.reset();
      const px = arena.put(x);
      const po = arena.alloc(outer * inner * 4);
      ex.argmax(px, outer, len, inner, po);
      arena.get(po, out);
    },

    softmax: (x, rows, cols, out) => {
      if (!isF32(x) || !isF32(out)) return ref.softmax(x, rows, cols, out);
      if (rows * cols === 0) return;
      arena.reset();
      const px = arena.put(x);
      const po = arena.output(rows * cols * 4);
      ex.softmax(px, rows, cols, po);
      arena.getAndKeep(po, out);
    },

    adam: (g, m, v, step, outM, outV, outUpdate, params) => {
      if (!isF32(g) || !isF32(m) || !isF32(v) || !isF32(outM) || !isF32(outV) || !isF32(outUpdate) || !isF32(params)) {
        return ref.adam(g, m, v, step, outM, outV, outUpdate, params);
      }
      wasmAdam(ex, arena, helper, g, m, v, step, outM, outV, outUpdate, params);
    },

    im2col: (x, g, out) => {
      if (!isF32(x) || !isF32(out)) return ref.im2col(x, g, out);
      if (out.length === 0) return;
      arena.reset();
      const px = arena.put(x);
      const po = arena.output(out.length * 4);
      ex.im2col(px, arena.ints(geometryWords(g)), po);
      arena.getAndKeep(po, out);
    },

    col2im: (cols, g, out) => {
      if (!isF32(cols) || !isF32(out)) return ref.col2im(cols, g, out);
      if (out.length === 0) return;
      arena.reset();
      const pc = arena.put(cols);
      const po = arena.output(out.length * 4);
      ex.col2im(pc, arena.ints(geometryWords(g)), po);
      arena.getAndKeep(po, out);
    },

    conv2dForward: (x, w, bias, g, filters, relu, out) => {
      if (!isF32(x) || !isF32(w) || !isF32(bias) || !isF32(out)) return ref.conv2dForward(x, w, bias, g, filters, relu, out);
      wasmConv2dForward(ex, arena, helper, winograd, x, w, bias, g, filters, relu, out);
    },

    conv2dBackward: (x, w, dy, g, filters, reluOutput, outDx, outDw, outDb) => {
      if (!isF32(x) || !isF32(w) || !isF32(dy) || !isF32(reluOutput) || !isF32(outDx) || !isF32(outDw) || !isF32(outDb)) {
        return ref.conv2dBackward(x, w, dy, g, filters, reluOutput, outDx, outDw, outDb);
      }
      wasmConv2dBackward(ex, arena, helper, winograd, x, w, dy, g, filters, reluOutput, outDx, outDw, outDb);
    },

    conv2dPoolForward: (x, w, bias, g, filters, relu, pool, out, argmax) => {
      if (!isF32(x) || !isF32(w) || !isF32(bias) || !isF32(out)) {
        return ref.conv2dPoolForward(x, w, bias, g, filters, relu, pool, out, argmax);
      }
      wasmConv2dPoolForward(ex, arena, helper, winograd, x, w, bias, g, filters, relu, pool, out, argmax);
    },

    conv2dPoolBackward: (x, w, dy, argmax, reluPooled, g, filters, pool, outDx, outDw, outDb) => {
      if (!isF32(x) || !isF32(w) || !isF32(dy) || !isF32(reluPooled) || !isF32(outDx) || !isF32(outDw) || !isF32(outDb)) {
        return ref.conv2dPoolBackward(x, w, dy, argmax, reluPooled, g, filters, pool, outDx, outDw, outDb);
      }
      wasmConv2dPoolBackward(ex, arena, helper, winograd, x, w, dy, argmax, reluPooled, g, filters, pool, outDx, outDw, outDb);
    },

    maxPool: (x, g, out, argmax) => {
      if (!isF32(x) || !isF32(out)) return ref.maxPool(x, g, out, argmax);
      if (out.length === 0) return;
      arena.reset();
      const px = arena.put(x);
      const po = arena.output(out.length * 4);
      const pi = argmax.length > 0 ? arena.output(out.length * 4) : arena.alloc(out.length * 4);
      ex.maxPool(px, arena.ints(geometryWords(g)), po, pi);
      arena.getAndKeep(po, out);
      if (argmax.length > 0) arena.getAndKeep(pi, argmax);
    },

    maxPoolBackward: (dy, argmax, out) => {
      if (!isF32(dy) || !isF32(out)) return ref.maxPoolBackward(dy, argmax, out);
      if (out.length === 0) return;
      arena.reset();
      const pd = arena.put(dy);
      const pi = arena.put(argmax.length === dy.length ? argmax : argmax.subarray(0, dy.length));
      const po = arena.output(out.length * 4);
      ex.maxPoolBackward(pd, pi, dy.length, po, out.length);
      arena.getAndKeep(po, out);
    },

    avgPool: (x, g, out) => {
      if (!isF32(x) || !isF32(out)) return ref.avgPool(x, g, out);
      if (out.length === 0) return;
      arena.reset();
      const px = arena.put(x);
      const po = arena.output(out.length * 4);
      ex.avgPool(px, arena.ints(geometryWords(g)), po);
      arena.getAndKeep(po, out);
    },

    avgPoolBackward: (dy, g, out) => {
      if (!isF32(dy) || !isF32(out)) return ref.avgPoolBackward(dy, g, out);
      if (out.length === 0) return;
      arena.reset();
      const pd = arena.put(dy);
      const po = arena.output(out.length * 4);
      ex.avgPoolBackward(pd, arena.ints(geometryWords(g)), po);
      arena.getAndKeep(po, out);
    },

    channelMoments: (x, n, c, inner, outMean, outVar) => {
      if (!isF32(x) || !isF32(outMean) || !isF32(outVar)) return ref.channelMoments(x, n, c, inner, outMean, outVar);
      wasmChannelMoments(ex, arena, x, n, c, inner, outMean, outVar);
    },

    channelSums: (x, gate, y, n, c, inner, outSum, outDot) => {
      if (!isF32(x) || !isF32(gate) || !isF32(y) || !isF32(outSum) || !isF32(outDot)) {
        return ref.channelSums(x, gate, y, n, c, inner, outSum, outDot);
      }
      wasmChannelSums(ex, arena, x, gate, y, n, c, inner, outSum, outDot);
    },

    channelAffine: (x, gate, sx, y, sy, shift, n, c, inner, relu, out) => {
      if (!isF32(x) || !isF32(gate) || !isF32(sx) || !isF32(y) || !isF32(sy) || !isF32(shift) || !isF32(out)) {
        return ref.channelAffine(x, gate, sx, y, sy, shift, n, c, inner, relu, out);
      }
      wasmChannelAffine(ex, arena, x, gate, sx, y, sy, shift, n, c, inner, relu, out);
    },

    batchNormBackward: (dy, gate, x, mean, std, gamma, n, c, inner, train, outDx, outDgamma, outDbeta) => {
      if (!isF32(dy) || !isF32(gate) || !isF32(x) || !isF32(mean) || !isF32(std) || !isF32(gamma) || !isF32(outDx) ||
        !isF32(outDgamma) || !isF32(outDbeta)) {
        return ref.batchNormBackward(dy, gate, x, mean, std, gamma, n, c, inner, train, outDx, outDgamma, outDbeta);
      }
      wasmBatchNormBackward(ex, arena, dy, gate, x, mean, std, gamma, n, c, inner, train, outDx, outDgamma, outDbeta);
    },
  };
};
