/**
 * Fused convolution through the wasm kernels: only x, w, bias (and dy) are copied in and only
 * the results copied out; the direct kernels or im2col + GEMM, the bias and the NCHW layout all
 * happen inside wasm (assembly/conv.ts). With a helper thread, a forward pass shares out its
 * images step by step (shareImages); a backward pass splits the batch in two fixed image ranges
 * (splitImages), and the helper's dW/db partial sums are added on this side.
 */
import { poolOverOutput, windowOutput, type Window2D } from '../kernels.ts';
import type { Arena } from './arena.ts';
import type { WasmExports } from './exports.ts';
import { THREAD_MIN_FLOPS } from './gemm.ts';
import {
  JOB_CONV_BACKWARD, JOB_CONV_FORWARD, JOB_CONV_POOL_BACKWARD, JOB_CONV_POOL_FORWARD, type Helper, type Job,
} from './helper.ts';

/** The 12 geometry words the wasm window kernels read (assembly/geometry.ts). */
export const geometryWords = (g: Window2D): number[] => {
  const { oh, ow } = windowOutput(g);
  return [g.n, g.c, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, oh, ow];
};

/**
 * Geometry words for the backward kernels: g's, then those of the convolution that would give
 * dx directly: dy (filters channels, oh × ow) with padding k - 1 - pad, then an options word
 * (2: that convolution may run Winograd). The kernel decides (dxKind in assembly/conv.ts).
 */
const backwardGeometryWords = (g: Window2D, filters: number, winograd: boolean): number[] => {
  const { oh, ow } = windowOutput(g);
  return [...geometryWords(g), ...geometryWords({
    n: g.n, c: filters, h: oh, w: ow, kh: g.kh, kw: g.kw, strideH: 1, strideW: 1, padH: g.kh - 1 - g.padH, padW: g.kw - 1 - g.padW,
  }), forwardFlags(false, winograd)];
};

/** Sizes of a convolution: output pixels per image, weights per filter, input per image. */
const sizes = (g: Window2D): { p: number; ckk: number; chw: number } => {
  const { oh, ow } = windowOutput(g);
  return { p: oh * ow, ckk: g.c * g.kh * g.kw, chw: g.c * g.h * g.w };
};

/** The forward kernels' flags word (assembly/conv.ts): 1 = fused ReLU, 2 = Winograd allowed. */
const forwardFlags = (relu: boolean, winograd: boolean): number => (relu ? 1 : 0) | (winograd ? 2 : 0);

/** The first `len` elements of a (as a view, not a copy). */
const head = <T extends Float32Array | Int32Array>(a: T, len: number): T => (a.length === len ? a : a.subarray(0, len) as T);

/**
 * Runs images [0, n) of a backward job. A batch large enough to pay for a second thread is
 * always cut in the same two parts, whether or not the helper runs one: `run(n0, n1, scratch,
 * part)` does part 0 here and part 1 here too unless the helper takes it through `job(at,
 * scratch)`. So results (dW sums, added part by part) are the same bits on one thread or two.
 * Each part gets its own scratch. Returns whether the batch was cut.
 */
const splitImages = (arena: Arena, helper: Helper | undefined, n: number, flops: number, scratchBytes: number,
  run: (n0: number, n1: number, scratch: number, part: 0 | 1) => void, job: (at: number, scratch: number) => Job): boolean => {
  const scratch = arena.alloc(scratchBytes);
  if (n < 2 || flops < THREAD_MIN_FLOPS) { run(0, n, scratch, 0); return false; }
  const at = n >> 1;
  const theirs = arena.alloc(scratchBytes);
  const helping = helper !== undefined && helper.ready();
  if (helping) helper.post(job(at, theirs));
  run(0, at, scratch, 0);
  if (!helping || !helper.join()) run(at, n, theirs, 1);
  return true;
};

/**
 * Runs a forward convolution job over images [0, n) on both threads when it pays: `run(taken,
 * scratch)` and the helper's `job(taken, scratch)` claim steps of images from one shared counter
 * at `taken` until none are left (a forward image's output is the same whichever thread computes
 * it, so the threads need not split evenly). Without the helper, or if it fails, this thread does
 * every image (taken = 0: in order).
 */
const shareImages = (arena: Arena, helper: Helper | undefined, n: number, flops: number, scratchBytes: number,
  run: (taken: number, scratch: number) => void, job: (taken: number, scratch: number) => Job): void => {
  const scratch = arena.alloc(scratchBytes);
  if (n < 2 || flops < THREAD_MIN_FLOPS || helper === undefined || !helper.ready()) {
    run(0, scratch);
    return;
  }
  const taken = arena.ints([0]);
  helper.post(job(taken, arena.alloc(scratchBytes)));
  run(taken, scratch);
  if (!helper.join()) run(0, scratch); // the helper's claimed steps are unknown: all again (same bits)
};

/** Where a backward job writes dW and db: one pair per part of the batch (summed afterwards). */
interface GradientSlots { readonly dw: readonly [number, number]; readonly db: readonly [number, number] }

const gradientSlots = (arena: Arena, dwLen: number, filters: number): GradientSlots => ({
  dw: [arena.alloc(dwLen * 4), arena.alloc(dwLen * 4)],
  db: [arena.alloc(filters * 4), arena.alloc(filters * 4)],
});

/** Copies dW and db out, adding the second part's sums when the batch was split. */
const readGradients = (arena: Arena, slots: GradientSlots, split: boolean, outDw: Float32Array, outDb: Float32Array,
  dwLen: number, filters: number): void => {
  arena.get(slots.dw[0], head(outDw, dwLen));
  arena.get(slots.db[0], head(outDb, filters));
  if (!split) return;
  const dw2 = new Float32Array(dwLen);
  const db2 = new Float32Array(filters);
  arena.get(slots.dw[1], dw2);
  arena.get(slots.db[1], db2);
  for (let i = 0; i < dwLen; i++) outDw[i] += dw2[i];
  for (let i = 0; i < filters; i++) outDb[i] += db2[i];
};

/** The pooling geometry over a convolution's output and the pooled element count of the batch. */
const pooledOver = (g: Window2D, filters: number, pool: number): { readonly pg: Window2D; readonly pooled: number } => {
  const pg = poolOverOutput(g, filters, pool);
  const { oh, ow } = windowOutput(pg);
  return { pg, pooled: g.n * filters * oh * ow };
};

/** True when a convolution has no images, no output pixels or no filters (nothing to compute). */
const isEmpty = (g: Window2D, filters: number): boolean => g.n === 0 || sizes(g).p <= 0 || filters === 0;

/** See Kernels.conv2dForward (float32). */
export const wasmConv2dForward = (ex: WasmExports, arena: Arena, helper: Helper | undefined, winograd: boolean,
  x: Float32Array, w: Float32Array, bias: Float32Array, g: Window2D, filters: number, relu: boolean, out: Float32Array): void => {
  const { p, ckk, chw } = sizes(g);
  if (isEmpty(g, filters)) return;
  arena.reset();
  const px = arena.put(head(x, g.n * chw));
  const pw = arena.put(head(w, filters * ckk));
  const pb = arena.put(head(bias, filters));
  const geo = arena.ints(geometryWords(g));
  const po = arena.alloc(g.n * filters * p * 4);
  const r = forwardFlags(relu, winograd);
  shareImages(arena, helper, g.n, 2 * g.n * p * filters * ckk, ex.convForwardScratchBytes(geo, filters, r),
    (taken, scratch) => ex.conv2dForward(px, pw, pb, geo, filters, r, po, 0, g.n, taken, scratch),
    (taken, scratch) => [JOB_CONV_FORWARD, px, pw, pb, geo, filters, r, po, 0, g.n, taken, scratch]);
  arena.getAndKeep(po, head(out, g.n * filters * p));
};

/** See Kernels.conv2dBackward (float32). */
export const wasmConv2dBackward = (ex: WasmExports, arena: Arena, helper: Helper | undefined, winograd: boolean,
  x: Float32Array, w: Float32Array, dy: Float32Array, g: Window2D, filters: number, reluOutput: Float32Array,
  outDx: Float32Array, outDw: Float32Array, outDb: Float32Array): void => {
  const { p, ckk, chw } = sizes(g);
  if (isEmpty(g, filters)) {
    outDw.fill(0); // no images or no output pixels: the gradients are zero
    outDb.fill(0);
    return;
  }
  const wantDx = outDx.length > 0;
  arena.reset();
  const px = arena.put(head(x, g.n * chw));
  const pw = arena.put(head(w, filters * ckk));
  const pdy = arena.put(head(dy, g.n * filters * p));
  // the fused ReLU's gradient is applied image by image, in place on the scratch copy of dy
  const pr = reluOutput.length > 0 ? arena.put(head(reluOutput, g.n * filters * p)) : 0;
  const geo = arena.ints(backwardGeometryWords(g, filters, winograd));
  const pdx = wantDx ? arena.alloc(g.n * chw * 4) : 0; // 0 is below the arena: "skip dx"
  const slots = gradientSlots(arena, filters * ckk, filters);
  const split = splitImages(arena, helper, g.n, (wantDx ? 4 : 2) * g.n * p * filters * ckk, ex.convBackwardScratchBytes(geo, filters),
    (n0, n1, scratch, part) => ex.conv2dBackward(px, pw, pdy, pr, geo, filters, pdx, slots.dw[part], slots.db[part], n0, n1, scratch),
    (at, scratch) => [JOB_CONV_BACKWARD, px, pw, pdy, pr, geo, filters, pdx, slots.dw[1], slots.db[1], at, g.n, scratch]);
  readGradients(arena, slots, split, outDw, outDb, filters * ckk, filters);
  if (wantDx) arena.getAndKeep(pdx, head(outDx, g.n * chw));
};

/** See Kernels.conv2dPoolForward (float32). */
export const wasmConv2dPoolForward = (ex: WasmExports, arena: Arena, helper: Helper | undefined, winograd: boolean,
  x: Float32Array, w: Float32Array, bias: Float32Array, g: Window2D, filters: number, relu: boolean, pool: number,
  out: Float32Array, argmax: Int32Array): void => {
  const { p, ckk, chw } = sizes(g);
  const { pg, pooled } = pooledOver(g, filters, pool);
  if (isEmpty(g, filters) || pooled <= 0) return;
  arena.reset();
  const px = arena.put(head(x, g.n * chw));
  const pw = arena.put(head(w, filters * ckk));
  const pb = arena.put(head(bias, filters));
  const geo = arena.ints(geometryWords(g));
  const pgeo = arena.ints(geometryWords({ ...pg, n: 1 }));
  const po = arena.alloc(pooled * 4);
  const wantArgmax = argmax.length > 0;
  const pa = wantArgmax ? arena.alloc(pooled * 4) : 0; // 0 is below the arena: "no argmax"
  const r = forwardFlags(relu, winograd);
  shareImages(arena, helper, g.n, 2 * g.n * p * filters * ckk, ex.convPoolForwardScratchBytes(geo, pgeo, filters, r),
    (taken, scratch) => ex.conv2dPoolForward(px, pw, pb, geo, pgeo, filters, r, po, pa, 0, g.n, taken, scratch),
    (taken, scratch) => [JOB_CONV_POOL_FORWARD, px, pw, pb, geo, pgeo, filters, r, po, pa, 0, g.n, taken, scratch]);
  arena.getAndKeep(po, head(out, pooled));
  if (wantArgmax) arena.get(pa, head(argmax, pooled));
};

/** See Kernels.conv2dPoolBackward (float32). */
export const wasmConv2dPoolBackward = (ex: WasmExports, arena: Arena, helper: Helper | undefined, winograd: boolean,
  x: Float32Array, w: Float32Array, dy: Float32Array, argmax: Int32Array, reluPooled: Float32Array, g: Window2D,
  filters: number, pool: number, outDx: Float32Array, outDw: Float32Array, outDb: Float32Array): void => {
  const { p, ckk, chw } = sizes(g);
  const { pg, pooled } = pooledOver(g, filters, pool);
  if (isEmpty(g, filters) || pooled <= 0) {
    outDw.fill(0);
    outDb.fill(0);
    return;
  }
  const wantDx = outDx.length > 0;
  arena.reset();
  const px = arena.put(head(x, g.n * chw));
  const pw = arena.put(head(w, filters * ckk));
  const pdy = arena.put(head(dy, pooled));
  const pa = arena.put(head(argmax, pooled));
  const pr = reluPooled.length > 0 ? arena.put(head(reluPooled, pooled)) : 0;
  const geo = arena.ints(backwardGeometryWords(g, filters, winograd));
  const pgeo = arena.ints(geometryWords({ ...pg, n: 1 }));
  const pdx = wantDx ? arena.alloc(g.n * chw * 4) : 0;
  const slots = gradientSlots(arena, filters * ckk, filters);
  const split = splitImages(arena, helper, g.n, (wantDx ? 4 : 2) * g.n * p * filters * ckk,
    ex.convPoolBackwardScratchBytes(geo, filters),
    (n0, n1, scratch, part) => ex.conv2dPoolBackward(px, pw, pdy, pa, pr, geo, pgeo, filters, pdx, slots.dw[part], slots.db[part], n0, n1, scratch),
    (at, scratch) => [JOB_CONV_POOL_BACKWARD, px, pw, pdy, pa, pr, geo, pgeo, filters, pdx, slots.dw[1], slots.db[1], at, g.n, scratch]);
  readGradients(arena, slots, split, outDw, outDb, filters * ckk, filters);
  if (wantDx) arena.getAndKeep(pdx, head(outDx, g.n * chw));
};
