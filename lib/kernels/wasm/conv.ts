/**
 * Fused convolution through the wasm kernels: only x, w, bias (and dy) are copied in and only
 * the results copied out; im2col, the GEMMs, the bias and the NCHW layout all happen inside
 * wasm (assembly/conv.ts). With a helper thread, the batch is split in two image ranges; the
 * helper's dW/db partial sums are added on this side.
 */
import { windowOutput, type Window2D } from '../kernels.ts';
import type { Arena } from './arena.ts';
import type { WasmExports } from './exports.ts';
import { THREAD_MIN_FLOPS } from './gemm.ts';
import { JOB_CONV_BACKWARD, JOB_CONV_FORWARD, type Helper } from './helper.ts';

/** The 12 geometry words the wasm window kernels read (assembly/geometry.ts). */
export const geometryWords = (g: Window2D): number[] => {
  const { oh, ow } = windowOutput(g);
  return [g.n, g.c, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, oh, ow];
};

/** Sizes of a convolution: output pixels per image, weights per filter, input per image. */
const sizes = (g: Window2D): { p: number; ckk: number; chw: number } => {
  const { oh, ow } = windowOutput(g);
  return { p: oh * ow, ckk: g.c * g.kh * g.kw, chw: g.c * g.h * g.w };
};

/** The first `len` elements of a (as a view, not a copy). */
const head = (a: Float32Array, len: number): Float32Array => (a.length === len ? a : a.subarray(0, len));

/** Where the batch is cut between this thread and the helper, or undefined to run alone. */
const cut = (helper: Helper | undefined, n: number, flops: number): number | undefined =>
  helper !== undefined && n >= 2 && flops >= THREAD_MIN_FLOPS && helper.ready() ? n >> 1 : undefined;

/** See Kernels.conv2dForward (float32). */
export const wasmConv2dForward = (ex: WasmExports, arena: Arena, helper: Helper | undefined,
  x: Float32Array, w: Float32Array, bias: Float32Array, g: Window2D, filters: number, relu: boolean, out: Float32Array): void => {
  const { p, ckk, chw } = sizes(g);
  if (g.n === 0 || p <= 0 || filters === 0) return;
  arena.reset();
  const px = arena.put(head(x, g.n * chw));
  const pw = arena.put(head(w, filters * ckk));
  const pb = arena.put(head(bias, filters));
  const geo = arena.ints(geometryWords(g));
  const po = arena.alloc(g.n * filters * p * 4);
  const scratchBytes = ex.convForwardScratchBytes(ckk, p);
  const scratch = arena.alloc(scratchBytes);
  const at = cut(helper, g.n, 2 * g.n * p * filters * ckk);
  const r = relu ? 1 : 0;
  if (at !== undefined && helper !== undefined) {
    const theirs = arena.alloc(scratchBytes);
    helper.post([JOB_CONV_FORWARD, px, pw, pb, geo, filters, r, po, at, g.n, theirs]);
    ex.conv2dForward(px, pw, pb, geo, filters, r, po, 0, at, scratch);
    if (!helper.join()) ex.conv2dForward(px, pw, pb, geo, filters, r, po, at, g.n, theirs);
  } else {
    ex.conv2dForward(px, pw, pb, geo, filters, r, po, 0, g.n, scratch);
  }
  arena.getAndKeep(po, head(out, g.n * filters * p));
};

/** See Kernels.conv2dBackward (float32). */
export const wasmConv2dBackward = (ex: WasmExports, arena: Arena, helper: Helper | undefined,
  x: Float32Array, w: Float32Array, dy: Float32Array, g: Window2D, filters: number, reluOutput: Float32Array,
  outDx: Float32Array, outDw: Float32Array, outDb: Float32Array): void => {
  const { p, ckk, chw } = sizes(g);
  if (g.n === 0 || p <= 0 || filters === 0) {
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
  const geo = arena.ints(geometryWords(g));
  const pdx = wantDx ? arena.alloc(g.n * chw * 4) : 0; // 0 is below the arena: "skip dx"
  const pdw = arena.alloc(filters * ckk * 4);
  const pdb = arena.alloc(filters * 4);
  const scratchBytes = ex.convBackwardScratchBytes(ckk, p);
  const scratch = arena.alloc(scratchBytes);
  const at = cut(helper, g.n, (wantDx ? 4 : 2) * g.n * p * filters * ckk);
  if (at !== undefined && helper !== undefined) {
    const pdw2 = arena.alloc(filters * ckk * 4);
    const pdb2 = arena.alloc(filters * 4);
    const theirs = arena.alloc(scratchBytes);
    helper.post([JOB_CONV_BACKWARD, px, pw, pdy, pr, geo, filters, pdx, pdw2, pdb2, at, g.n, theirs]);
    ex.conv2dBackward(px, pw, pdy, pr, geo, filters, pdx, pdw, pdb, 0, at, scratch);
    if (!helper.join()) ex.conv2dBackward(px, pw, pdy, pr, geo, filters, pdx, pdw2, pdb2, at, g.n, theirs);
    const dw2 = new Float32Array(filters * ckk);
    const db2 = new Float32Array(filters);
    arena.get(pdw2, dw2);
    arena.get(pdb2, db2);
    arena.get(pdw, head(outDw, filters * ckk));
    arena.get(pdb, head(outDb, filters));
    for (let i = 0; i < dw2.length; i++) outDw[i] += dw2[i];
    for (let i = 0; i < db2.length; i++) outDb[i] += db2[i];
  } else {
    ex.conv2dBackward(px, pw, pdy, pr, geo, filters, pdx, pdw, pdb, 0, g.n, scratch);
    arena.get(pdw, head(outDw, filters * ckk));
    arena.get(pdb, head(outDb, filters));
  }
  if (wantDx) arena.getAndKeep(pdx, head(outDx, g.n * chw));
};
