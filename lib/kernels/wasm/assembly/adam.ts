/** The fused Adam update, four lanes at a time. */
import { madd } from './simd';

/** The smallest normal f32: moments below it in magnitude are stored as 0 (see Kernels.adam). */
const NORMAL_MIN: f32 = 1.17549435e-38;

/**
 * outM = β1·m + (1-β1)·g; outV = β2·v + (1-β2)·g²; outU = stepSize·outM / (√outV + eps), plus
 * p[i] when p is not 0 (then outU is the new parameters). Subnormal moments are flushed to 0.
 * oneMinusBeta1/2 come from the glue (computed in f64) so they are not rounded twice.
 */
export function adam(g: usize, m: usize, v: usize, len: i32, beta1: f32, oneMinusBeta1: f32,
  beta2: f32, oneMinusBeta2: f32, eps: f32, stepSize: f32, outM: usize, outV: usize, outU: usize, p: usize): void {
  const withP = p != 0;
  const b1 = f32x4.splat(beta1);
  const c1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2);
  const c2 = f32x4.splat(oneMinusBeta2);
  const ve = f32x4.splat(eps);
  const vs = f32x4.splat(stepSize);
  const tiny = f32x4.splat(NORMAL_MIN);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const mRaw = madd(b1, v128.load(m + o), f32x4.mul(c1, gi));
    const vRaw = madd(b2, v128.load(v + o), f32x4.mul(c2, f32x4.mul(gi, gi)));
    const mi = v128.andnot(mRaw, f32x4.lt(f32x4.abs(mRaw), tiny));
    const vi = v128.andnot(vRaw, f32x4.lt(vRaw, tiny));
    v128.store(outM + o, mi);
    v128.store(outV + o, vi);
    const u = f32x4.div(f32x4.mul(vs, mi), f32x4.add(f32x4.sqrt(vi), ve));
    v128.store(outU + o, withP ? f32x4.add(v128.load(p + o), u) : u);
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mRaw = beta1 * load<f32>(m + o) + oneMinusBeta1 * gi;
    const vRaw = beta2 * load<f32>(v + o) + oneMinusBeta2 * gi * gi;
    const mi: f32 = Mathf.abs(mRaw) < NORMAL_MIN ? 0 : mRaw;
    const vi: f32 = vRaw < NORMAL_MIN ? 0 : vRaw;
    store<f32>(outM + o, mi);
    store<f32>(outV + o, vi);
    const u = (stepSize * mi) / (Mathf.sqrt(vi) + eps);
    store<f32>(outU + o, withP ? load<f32>(p + o) + u : u);
  }
}
