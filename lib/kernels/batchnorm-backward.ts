/**
 * Batch norm's backward pass from per-channel sums: with Σ dy (= dβ) and Σ dy·x from one pass,
 * dγ and dx = dy·scale + x·onX + shift are per-channel coefficients away, so a second pass
 * writes dx. Shared by the reference and wasm kernels (Kernels.batchNormBackward), so both
 * round the coefficients alike.
 */
import type { FloatArray } from './kernels.ts';

/** Per-channel coefficients of batch norm's backward. */
export interface BatchNormCoefficients<A extends FloatArray> {
  readonly dgamma: A;
  /** dx = dy·scale + x·onX + shift per channel (onX is empty in inference mode, where shift is 0). */
  readonly scale: A;
  readonly onX: A;
  readonly shift: A;
}

/** A zeroed array of n elements of a's type. */
const like = <A extends FloatArray>(a: A, n: number): A => (a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as A;

/**
 * The coefficients from dβ = Σ dy and dot = Σ dy·x over `count` values per channel, the forward's
 * mean and σ = √(var + eps), and γ. Training mode: the batch statistics depend on x, so
 * dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)), written out in x; inference: dx = γ/σ·dy.
 */
export const batchNormCoefficients = <A extends FloatArray>(dbeta: A, dot: FloatArray, mean: FloatArray, std: FloatArray,
  gamma: FloatArray, count: number, train: boolean): BatchNormCoefficients<A> => {
  const c = dbeta.length;
  const dgamma = like(dbeta, c);
  const scale = like(dbeta, c);
  const onX = like(dbeta, train ? c : 0);
  const shift = like(dbeta, c);
  for (let ch = 0; ch < c; ch++) {
    // Σ dy·x̂ from Σ dy·x, since x̂ = (x − μ)/σ (each value rounded to the dtype before it is used)
    dgamma[ch] = (dot[ch] - mean[ch] * dbeta[ch]) / std[ch];
    scale[ch] = gamma[ch] / std[ch];
    if (!train) continue;
    onX[ch] = (-scale[ch] * dgamma[ch]) / (count * std[ch]);
    shift[ch] = (-scale[ch] * dbeta[ch]) / count - onX[ch] * mean[ch];
  }
  return { dgamma, scale, onX, shift };
};
