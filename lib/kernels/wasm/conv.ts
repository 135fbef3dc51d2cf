/**
 * Fused convolution through the wasm kernels: only x, w, bias (and dy) are copied in and only
 * the results copied out; the direct kernels or im2col + GEMM, the bias and the NCHW layout all
 * happen inside wasm (assembly/conv.ts). With a helper thread, a forward pass shares out its
 * images step by step and a backward pass its chunks of images (runShared), each thread taking
 * the next as it comes free; the chunks' dW/db sums are added in a fixed order.
 */
import {
  poolOverOutput, windowOutput,
  type Conv2dBackwardArgs, type Conv2dForwardArgs, type Conv2dPoolBackwardArgs, type Conv2dPoolForwardArgs, type Window2D,
} from '../kernels.ts';
import type { Arena } from './arena.ts';
import { THREAD_MIN_FLOPS } from './gemm.ts';
import type { Float32Args, WasmContext, WasmExports } from './kernels.ts';

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
 * Runs a convolution export on both threads when `worth` it: `run` here and the helper's call of
 * the same export claim its work (a forward pass's steps of images, a backward pass's chunks)
 * from one counter at `taken` until none is left, each thread as it comes free; a piece's
 * result does not depend on the thread that computes it. Without the helper, or if it fails,
 * this thread does all of it (taken = 0: in order).
 */
const runShared = <K extends keyof WasmExports>({ arena, helper }: WasmContext, worth: boolean, scratchBytes: number, name: K,
  args: (taken: number, scratch: number) => Readonly<Parameters<WasmExports[K]>>,
  run: (args: Readonly<Parameters<WasmExports[K]>>) => void): void => {
  const scratch = arena.alloc(scratchBytes);
  if (!worth || helper === undefined || !helper.ready()) {
    run(args(0, scratch));
    return;
  }
  const taken = arena.ints([0]);
  helper.post(name, args(taken, arena.alloc(scratchBytes)));
  run(args(taken, scratch));
  if (!helper.join()) run(args(0, scratch)); // which pieces the helper finished is unknown: all again (same bits)
};

/** Whether a pass over n images with `flops` pays for the second thread. */
const worthSharing = (n: number, flops: number): boolean => n >= 2 && flops >= THREAD_MIN_FLOPS;

/** Chunks a backward pass cuts a large batch into (see chunkStart in assembly/conv.ts). */
const BACKWARD_CHUNKS = 8;

/**
 * How many chunks a backward pass of n images sums separately: a fixed count where a second
 * thread pays, whether or not it runs, so the sums are the same bits on one thread or two.
 */
const chunksFor = (n: number, flops: number): number => (worthSharing(n, flops) ? Math.min(n, BACKWARD_CHUNKS) : 1);

/** Where a backward job writes dW and db: one slot per chunk (added in order afterwards). */
interface GradientSlots { readonly dw: number; readonly db: number }

const gradientSlots = (arena: Arena, chunks: number, dwLen: number, filters: number): GradientSlots => ({
  dw: arena.alloc(chunks * dwLen * 4),
  db: arena.alloc(chunks * filters * 4),
});

/** Adds the chunks' dW and db in order (in wasm) and copies the totals out. */
const readGradients = (ex: WasmExports, arena: Arena, slots: GradientSlots, chunks: number, outDw: Float32Array,
  outDb: Float32Array, dwLen: number, filters: number): void => {
  ex.addSlots(slots.dw, chunks, dwLen);
  ex.addSlots(slots.db, chunks, filters);
  arena.get(slots.dw, head(outDw, dwLen));
  arena.get(slots.db, head(outDb, filters));
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
export const wasmConv2dForward = (ctx: WasmContext, { x, w, bias, g, filters, relu, out }: Float32Args<Conv2dForwardArgs>): void => {
  const { ex, arena, winograd } = ctx;
  const { p, ckk, chw } = sizes(g);
  if (isEmpty(g, filters)) return;
  arena.reset();
  const px = arena.put(head(x, g.n * chw));
  const pw = arena.put(head(w, filters * ckk));
  const pb = arena.put(head(bias, filters));
  const geo = arena.ints(geometryWords(g));
  const po = arena.output(g.n * filters * p * 4);
  const r = forwardFlags(relu, winograd);
  runShared(ctx, worthSharing(g.n, 2 * g.n * p * filters * ckk), ex.convForwardScratchBytes(geo, filters, r), 'conv2dForward',
    (taken, scratch) => [px, pw, pb, geo, filters, r, po, 0, g.n, taken, scratch], (a) => ex.conv2dForward(...a));
  arena.getAndKeep(po, head(out, g.n * filters * p));
};

/** No images, no output pixels or no filters: every gradient is zero. */
const zeroGradients = (outDx: Float32Array | undefined, outDw: Float32Array, outDb: Float32Array): void => {
  outDx?.fill(0);
  outDw.fill(0);
  outDb.fill(0);
};

/** See Kernels.conv2dBackward (float32). */
export const wasmConv2dBackward = (ctx: WasmContext,
  { x, w, dy, g, filters, reluOutput, outDx, outDw, outDb }: Float32Args<Conv2dBackwardArgs>): void => {
  const { ex, arena, winograd } = ctx;
  const { p, ckk, chw } = sizes(g);
  if (isEmpty(g, filters)) {
    zeroGradients(outDx, outDw, outDb);
    return;
  }
  arena.reset();
  const px = arena.put(head(x, g.n * chw));
  const pw = arena.put(head(w, filters * ckk));
  const pdy = arena.put(head(dy, g.n * filters * p));
  const pr = reluOutput !== undefined ? arena.put(head(reluOutput, g.n * filters * p)) : 0;
  const geo = arena.ints(backwardGeometryWords(g, filters, winograd));
  const pdx = outDx !== undefined ? arena.output(g.n * chw * 4) : 0; // 0 is below the arena: "skip dx"
  const chunks = chunksFor(g.n, (outDx !== undefined ? 4 : 2) * g.n * p * filters * ckk);
  const slots = gradientSlots(arena, chunks, filters * ckk, filters);
  runShared(ctx, chunks > 1, ex.convBackwardScratchBytes(geo, filters), 'conv2dBackward',
    (taken, scratch) => [px, pw, pdy, pr, geo, filters, pdx, slots.dw, slots.db, g.n, chunks, taken, scratch],
    (a) => ex.conv2dBackward(...a));
  readGradients(ex, arena, slots, chunks, outDw, outDb, filters * ckk, filters);
  if (outDx !== undefined) arena.getAndKeep(pdx, head(outDx, g.n * chw));
};

/** See Kernels.conv2dPoolForward (float32). */
export const wasmConv2dPoolForward = (ctx: WasmContext,
  { x, w, bias, g, filters, relu, pool, out, argmax }: Float32Args<Conv2dPoolForwardArgs>): void => {
  const { ex, arena, winograd } = ctx;
  const { p, ckk, chw } = sizes(g);
  const { pg, pooled } = pooledOver(g, filters, pool);
  if (isEmpty(g, filters) || pooled <= 0) return;
  arena.reset();
  const px = arena.put(head(x, g.n * chw));
  const pw = arena.put(head(w, filters * ckk));
  const pb = arena.put(head(bias, filters));
  const geo = arena.ints(geometryWords(g));
  const pgeo = arena.ints(geometryWords({ ...pg, n: 1 }));
  const po = arena.output(pooled * 4);
  const pa = argmax !== undefined ? arena.output(pooled * 4) : 0; // 0 is below the arena: "no argmax"
  const r = forwardFlags(relu, winograd);
  runShared(ctx, worthSharing(g.n, 2 * g.n * p * filters * ckk), ex.convPoolForwardScratchBytes(geo, pgeo, filters, r),
    'conv2dPoolForward', (taken, scratch) => [px, pw, pb, geo, pgeo, filters, r, po, pa, 0, g.n, taken, scratch],
    (a) => ex.conv2dPoolForward(...a));
  arena.getAndKeep(po, head(out, pooled));
  if (argmax !== undefined) arena.getAndKeep(pa, head(argmax, pooled));
};

/** See Kernels.conv2dPoolBackward (float32). */
export const wasmConv2dPoolBackward = (ctx: WasmContext,
  { x, w, dy, argmax, reluPooled, g, filters, pool, outDx, outDw, outDb }: Float32Args<Conv2dPoolBackwardArgs>): void => {
  const { ex, arena, winograd } = ctx;
  const { p, ckk, chw } = sizes(g);
  const { pg, pooled } = pooledOver(g, filters, pool);
  if (isEmpty(g, filters) || pooled <= 0) {
    zeroGradients(outDx, outDw, outDb);
    return;
  }
  arena.reset();
  const px = arena.put(head(x, g.n * chw));
  const pw = arena.put(head(w, filters * ckk));
  const pdy = arena.put(head(dy, pooled));
  const pa = arena.put(head(argmax, pooled));
  const pr = reluPooled !== undefined ? arena.put(head(reluPooled, pooled)) : 0;
  const geo = arena.ints(backwardGeometryWords(g, filters, winograd));
  const pgeo = arena.ints(geometryWords({ ...pg, n: 1 }));
  const pdx = outDx !== undefined ? arena.output(g.n * chw * 4) : 0;
  const chunks = chunksFor(g.n, (outDx !== undefined ? 4 : 2) * g.n * p * filters * ckk);
  const slots = gradientSlots(arena, chunks, filters * ckk, filters);
  runShared(ctx, chunks > 1, ex.convBackwardScratchBytes(geo, filters), 'conv2dPoolBackward',
    (taken, scratch) => [px, pw, pdy, pa, pr, geo, pgeo, filters, pdx, slots.dw, slots.db, g.n, chunks, taken, scratch],
    (a) => ex.conv2dPoolBackward(...a));
  readGradients(ex, arena, slots, chunks, outDw, outDb, filters * ckk, filters);
  if (outDx !== undefined) arena.getAndKeep(pdx, head(outDx, g.n * chw));
};
