/**
 * Batch norm's per-channel passes through the wasm kernels (assembly/channel.ts): sums, the
 * affine map, and the backward pass as one arena session over the two (the statistics are a
 * plain entry in kernels.ts).
 */
import type { BatchNormBackwardArgs, ChannelAffineArgs, ChannelSumsArgs } from '../kernels.ts';
import { batchNormCoefficients } from '../batchnorm-backward.ts';
import type { Arena } from './arena.ts';
import type { Float32Args, WasmContext, WasmExports } from './kernels.ts';

/** Puts a gate (or y) into this call's arena: 0, below the arena, means none. */
const putOptional = (arena: Arena, a: Float32Array | undefined): number => (a !== undefined ? arena.put(a) : 0);

/** Runs channelSums on x, gate and y already in the arena (gate, y 0: none); returns where the sums and dots are. */
const sumsInArena = (ex: WasmExports, arena: Arena, px: number, pg: number, py: number, n: number, c: number,
  inner: number): { readonly ps: number; readonly pd: number } => {
  const ps = arena.alloc(c * 4);
  const pd = arena.alloc(c * 4);
  ex.channelSums(px, pg, py, py === 0 ? 0 : 1, n, c, inner, ps, pd);
  return { ps, pd };
};

/** Runs channelAffine on memory already in the arena (gate, y 0: none; sy unused without y) into a kept output, copied to out. */
const affineInArena = (ex: WasmExports, arena: Arena, px: number, pg: number, sx: Float32Array, py: number,
  sy: Float32Array | undefined, shift: Float32Array, n: number, c: number, inner: number, relu: boolean, out: Float32Array): void => {
  const pa = arena.put(sx);
  const pe = py === 0 ? 0 : putOptional(arena, sy);
  const pt = arena.put(shift);
  const po = arena.output(out.length * 4);
  ex.channelAffine(px, pg, pa, py, pe, py === 0 ? 0 : 1, pt, n, c, inner, relu ? 1 : 0, po);
  arena.getAndKeep(po, out);
};

/** See Kernels.channelSums (float32). */
export const wasmChannelSums = ({ ex, arena }: WasmContext, { x, gate, y, n, c, inner, outSum, outDot }: Float32Args<ChannelSumsArgs>): void => {
  if (c === 0) return;
  arena.reset();
  const px = arena.put(x);
  const py = putOptional(arena, y);
  const { ps, pd } = sumsInArena(ex, arena, px, putOptional(arena, gate), py, n, c, inner);
  arena.get(ps, outSum);
  if (outDot !== undefined) arena.get(pd, outDot);
};

/** See Kernels.channelAffine (float32). */
export const wasmChannelAffine = ({ ex, arena }: WasmContext,
  { x, gate, sx, y, sy, shift, n, c, inner, relu, out }: Float32Args<ChannelAffineArgs>): void => {
  if (out.length === 0) return;
  arena.reset();
  const px = arena.put(x);
  affineInArena(ex, arena, px, putOptional(arena, gate), sx, putOptional(arena, y), sy, shift, n, c, inner, relu, out);
};

/** See Kernels.batchNormBackward (float32): one arena session, so dy, the gate and x are read in once for both passes. */
export const wasmBatchNormBackward = ({ ex, arena }: WasmContext,
  { dy, gate, x, mean, std, gamma, n, c, inner, train, outDx, outDgamma, outDbeta }: Float32Args<BatchNormBackwardArgs>): void => {
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
