/**
 * Explicit, splittable randomness as in JAX: a key is a pure value; the same key always gives
 * the same numbers. Built on the Threefry-2x32 counter-based generator (20 rounds).
 */
import { allocate, wrap, type DType, type Shape, type Tensor, sizeOf } from './tensor.ts';

/** A random key: two 32-bit words. Split it rather than reuse it. */
export type Key = readonly [number, number] & { readonly __brand?: 'Key' };

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;
const ROT0 = [13, 15, 26, 6];
const ROT1 = [17, 29, 16, 24];

/** Threefry-2x32: encrypts a 64-bit counter under a 64-bit key. */
export const threefry2x32 = (key: Key, c0: number, c1: number): [number, number] => {
  const ks = [key[0] >>> 0, key[1] >>> 0, (key[0] ^ key[1] ^ 0x1bd11bda) >>> 0];
  let x0 = (c0 + ks[0]) >>> 0;
  let x1 = (c1 + ks[1]) >>> 0;
  for (let block = 0; block < 5; block++) {
    const rot = block % 2 === 0 ? ROT0 : ROT1;
    for (const r of rot) {
      x0 = (x0 + x1) >>> 0;
      x1 = (rotl(x1, r) ^ x0) >>> 0;
    }
    x0 = (x0 + ks[(block + 1) % 3]) >>> 0;
    x1 = (x1 + ks[(block + 2) % 3] + block + 1) >>> 0;
  }
  return [x0, x1];
};

/** A key from an integer seed (0 ≤ seed < 2^53). */
export const key = (seed: number): Key => {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`key: seed must be a non-negative safe integer, got ${seed}`);
  return [Math.floor(seed / 2 ** 32) >>> 0, seed >>> 0];
};

// Counter domains keep splitting, folding in and drawing bits from ever overlapping.
const SPLIT = 0x53504c54;
const FOLD = 0x464f4c44;

/** `n` independent keys derived from one (default 2). */
export const split = (k: Key, n = 2): readonly Key[] =>
  Array.from({ length: n }, (_, i) => threefry2x32(k, i, SPLIT) as Key);

/** A new key that mixes an integer (a step, a member index) into a key. */
export const foldIn = (k: Key, data: number): Key => threefry2x32(k, data >>> 0, FOLD) as Key;

/** `count` random 32-bit words from a key. */
export const bits = (k: Key, count: number): Uint32Array => {
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i += 2) {
    const [a, b] = threefry2x32(k, i >>> 1, 0);
    out[i] = a;
    if (i + 1 < count) out[i + 1] = b;
  }
  return out;
};

/** Uniform doubles in [0, 1) with 53 random bits each (two words per value). */
const unitDoubles = (k: Key, count: number): Float64Array => {
  const w = bits(k, 2 * count);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = ((w[2 * i] >>> 5) * 67108864 + (w[2 * i + 1] >>> 6)) / 9007199254740992;
  return out;
};

/** Uniform samples in [lo, hi). */
export const uniform = (k: Key, shape: Shape, lo = 0, hi = 1, dtype: DType = 'float32'): Tensor => {
  const n = sizeOf(shape);
  const u = unitDoubles(k, n);
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * u[i];
  // float32 rounding may reach hi; keep the half-open interval
  if (dtype === 'float32') for (let i = 0; i < n; i++) if (data[i] >= hi && hi > lo) data[i] = Math.fround(hi - (hi - lo) * 2 ** -24);
  return wrap(data, shape);
};

/** Normal samples with the given mean and standard deviation (Box–Muller). */
export const normal = (k: Key, shape: Shape, mean = 0, std = 1, dtype: DType = 'float32'): Tensor => {
  const n = sizeOf(shape);
  const u = unitDoubles(k, n + (n % 2));
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u[i]));
    const theta = 2 * Math.PI * u[i + 1];
    data[i] = mean + std * r * Math.cos(theta);
    if (i + 1 < n) data[i + 1] = mean + std * r * Math.sin(theta);
  }
  return wrap(data, shape);
};

/** A random permutation of 0..n-1 (Fisher–Yates). */
export const permutation = (k: Key, n: number): Int32Array => {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const u = unitDoubles(k, n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    const t = out[i]; out[i] = out[j]; out[j] = t;
  }
  return out;
};

/** 1 with probability p, else 0. */
export const bernoulli = (k: Key, p: number, shape: Shape, dtype: DType = 'float32'): Tensor => {
  if (!(p >= 0 && p <= 1)) throw new Error(`bernoulli: p must be in [0, 1], got ${p}`);
  const n = sizeOf(shape);
  const u = unitDoubles(k, n);
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = u[i] < p ? 1 : 0;
  return wrap(data, shape);
};

/** Integers uniformly in [lo, hi). */
export const randint = (k: Key, count: number, lo: number, hi: number): Int32Array => {
  const u = unitDoubles(k, count);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = lo + Math.floor(u[i] * (hi - lo));
  return out;
};
