/**
 * Batch norm's per-channel passes through the wasm kernels (assembly/channel.ts): statistics,
 * sums, the affine map, and the backward pass as one arena session over the last two.
 */
import { batchNormCoefficients } from '../batchnorm-backward.ts';
import type { Arena } from './arena.ts';
import type { WasmExports } from './exports.ts';

/** See Kernels.channelMoments (float32). */
export const wasmChannelMoments = (ex: WasmExports, arena: Arena, x: Float32Array, n: number, c: number, inner: number,
  outMean: Float32Array, outVar: Float32Array): void => {
  if (c === 0) return;
  arena.reset();
  const px = arena.put(x);
  const pm = arena.alloc(c * 4);
  const pv = arena.alloc(c * 4);
  ex.channelMoments(px, n, c, inner, pm, pv);
  arena.get(pm, outMean);
  arena.get(pv, outVar);
};

/** Puts a gate (or y) into this call's arena: 0, below the arena, means none. */
const putOptional = (arena: Arena, a: Float32Array): number => (a.length > 0 ? arena.put(a) : 0);

/** Runs channelSums on x, gate and y already in the arena (gate, y 0: none); returns where the sums and dots are. */
const sumsInArena = (ex: WasmExports, arena: Arena, px: number, pg: number, py: number, n: number, c: number,
  inner: number): { readonly ps: number; readonly pd: number } => {
  const ps = arena.alloc(c * 4);
  const pd = arena.alloc(c * 4);
  ex.channelSums(px, pg, py, py === 0 ? 0 : 1, n, c, inner, ps, pd);
  return { ps, pd };
};

/** Runs channelAffine on memory already in the arena (gate, y, sy 0: none) into a kept output, copied to out. */
const affineInArena = (ex: WasmExports, arena: Arena, px: number, pg: number, sx: Float32Array, py: number, sy: Float32Array,
  shift: Float32Array, n: number, c: number, inner: number, relu: boolean, out: Float32Array): void => {
  const pa = arena.put(sx);
  const pe = py === 0 ? 0 : arena.put(sy);
  const pt = arena.put(shift);
  const po = arena.output(out.length * 4);
  ex.channelAffine(px, pg, pa, py, pe, py === 0 ? 0 : 1, pt, n, c, inner, relu ? 1 : 0, po);
  arena.getAndKeep(po, out);
};

/** See Kernels.channelSums (float32). */
export const wasmChannelSums = (ex: WasmExports, arena: Arena, x: Float32Array, gate: Float32Array, y: Float32Array,
  n: number, c: number, inner: number, outSum: Float32Array, outDot: Float32Array): void => {
  if (c === 0) return;
  arena.reset();
  const px = arena.put(x);
  const py = putOptional(arena, y);
  const { ps, pd } = sumsInArena(ex, arena, px, putOptional(arena, gate), py, n, c, inner);
  arena.get(ps, outSum);
  if (py !== 0) arena.get(pd, outDot);
};

/** See Kernels.channelAffine (float32). */
export const wasmChannelAffine = (ex: WasmExports, arena: Arena, x: Float32Array, gate: Float32Array, sx: Float32Array,
  y: Float32Array, sy: Float32Array, shift: Float32Array, n: number, c: number, inner: number, relu: boolean,
  out: Float32Array): void => {
  if (out.length === 0) return;
  arena.reset();
  const px = arena.put(x);
  affineInArena(ex, arena, px, putOptional(arena, gate), sx, putOptional(arena, y), sy, shift, n, c, inner, relu, out);
};

/** See Kernels.batchNormBackward (float32): one arena session, so dy, the gate and x are read in once for both passes. */
export const wasmBatchNormBackward = (ex: WasmExports, arena: Arena, dy: Float32Array, gate: Float32Array, x: Float32Array,
  mean: Float32Array, std: Float32Array, gamma: Float32Array, n: number, c: number, inner: number, train: boolean,
  outDx: Float32Array, outDgamma: Float32Array, outDbeta: Float32Array): void => {
  if (c === 0) return;
  arena.reset();
  const pdy = arena.put(dy);
  const pg = putOptional(arena, gate);
  const px = arena.put(x);
  const { ps, pd } = sumsInArena(ex, arena, pdy, pg, px, n, c, inner);
  const dot = new Float32Array(c);
  arena.get(ps, outDbeta);
  arena.get(pd, dot);
  const k = batchNormCoefficients(outDbeta, dot, mean, std, gamma, n * inner, train);
  outDgamma.set(k.dgamma);
  if (outDx.length === 0) return;
  affineInArena(ex, arena, pdy, pg, k.scale, train ? px : 0, k.onX, k.shift, n, c, inner, false, outDx);
};
