/**
 * Fused 2-D convolution, image by image. With stride 1 the forward pass, dx and dW run the
 * direct kernels (assembly/direct.ts, direct-weights.ts; see prefersDirect for the exception),
 * except 3×3 forward passes and dx that Winograd F(4×4, 3×3) does in half the products
 * (assembly/winograd.ts; a few images at a time, see groupImages), and 3×3 dW with enough
 * channels and filters, by the same algorithm transposed (assembly/winograd-weights.ts).
 * The rest uses the transposed im2col layout ("im2col-T"): colsT[(c, i, j), oy·ow + ox] =
 * x[c, oy·sh - ph + i, ox·sw - pw + j], CKK × P for one image (CKK = c·kh·kw, P = oh·ow); then
 * forward is y_n = W · colsT (F × P), dW += dy_n · colsTᵀ and dcolsT = Wᵀ · dy_n folded back by
 * col2im-T. Two threads share a call's work (forward: steps of images; backward: chunks with
 * their own dW/db sums), each with its own scratch.
 */
import { Geometry } from './geometry';
import { MR } from './tile';
import { gemmInto, gemmScratchBytes } from './gemm';
import { maxPool } from './pool';
import { align, directImage, directScratchBytes, prepare, prepareFlipped } from './direct';
import { directPoolImage, directPoolScratchBytes, prefersDirectPool, prepareDirectPool } from './direct-pool';
import { directWeightImage, directWeightScratchBytes, finishWeights, prepareWeights } from './direct-weights';
import {
  finishWinogradWeights, prefersWinogradWeights, startWinogradWeights, winogradWeightImage, winogradWeightScratchBytes,
} from './winograd-weights';
import {
  groupImages, prefersWinograd, prepareWinograd, prepareWinogradFlipped, winogradImages, winogradScratchBytes,
} from './winograd';
import { reluBackward } from './affine';
import { addFloats } from './simd';

/** Forward flag: max(0, ·) after the bias. */
const RELU: i32 = 1;
/** Forward flag: Winograd F(4×4, 3×3) may run where it pays (prefersWinograd). */
const WINOGRAD: i32 = 2;

/** How a forward pass runs: im2col + GEMM, the direct kernel or Winograd. */
const IM2COL: i32 = 0;
const DIRECT: i32 = 1;
const WINOGRAD_F4: i32 = 2;

/** Which forward kernel runs this convolution (flags as conv2dForward's). */
function forwardKind(g: Geometry, filters: i32, flags: i32): i32 {
  if ((flags & WINOGRAD) != 0 && prefersWinograd(g, filters, directProducts(g, filters))) return WINOGRAD_F4;
  return directForward(g, filters) ? DIRECT : IM2COL;
}

/** Bytes of scratch one conv2dForward call needs. */
export function convForwardScratchBytes(g: Geometry, filters: i32, flags: i32): usize {
  const kind = forwardKind(g, filters, flags);
  if (kind == WINOGRAD_F4) return winogradScratchBytes(g, filters);
  if (kind == DIRECT) return directScratchBytes(g, filters);
  return align(<usize>(g.c * g.kh * g.kw * g.oh * g.ow) << 2) + gemmScratchBytes();
}

/** Stride 1 in both directions: the direct kernels' layout. */
// @ts-ignore: decorator
@inline function isStrideOne(g: Geometry): bool {
  return g.strideH == 1 && g.strideW == 1;
}

/**
 * Whether a direct kernel beats im2col + GEMM, from how many products it computes per needed one
 * (it also computes the columns past each row's end, filters rounded up to 8 and, for dW, taps
 * up to 3 per group). With one input channel the im2col matrix is small and cheap to pack, so
 * the direct kernel must waste under 20%: SimpleConvNet's 5×5 conv1 (30 filters, 1.24× forward,
 * 1.49× dW) ran 5% slower a training step direct. With more, under 2×: DeepConvNet's 7×7 layers
 * (1.35×) still ran faster direct, while dx of a one-channel input (8 lanes for 1) ran 3× slower.
 */
function prefersDirect(g: Geometry, filters: i32, rowTaps: i32): bool {
  if (!isStrideOne(g) || filters <= 0) return false;
  const computed = directPixels(g) * <f64>((filters + 7) & ~7) * <f64>rowTaps;
  const needed = <f64>(g.oh * g.ow) * <f64>filters * <f64>g.kw;
  return computed < (g.c > 1 ? 2.0 : 1.2) * needed;
}

/** Pixels a direct kernel computes per filter: the padded image's flat rows in whole tiles. */
// @ts-ignore: decorator
@inline function directPixels(g: Geometry): f64 {
  const flat = (g.oh - 1) * (g.w + 2 * g.padW) + g.ow;
  return <f64>((flat + MR - 1) / MR * MR);
}

/** Products the direct forward kernel computes for one image (stride 1). */
// @ts-ignore: decorator
@inline function directProducts(g: Geometry, filters: i32): f64 {
  return directPixels(g) * <f64>((filters + 7) & ~7) * <f64>(g.c * g.kh * g.kw);
}

/** The direct forward kernel runs this convolution. */
// @ts-ignore: decorator
@inline function directForward(g: Geometry, filters: i32): bool {
  return prefersDirect(g, filters, g.kw);
}

/** The direct dW kernel runs this convolution's weight gradient. */
// @ts-ignore: decorator
@inline function directWeights(g: Geometry, filters: i32): bool {
  return prefersDirect(g, filters, 3 * ((g.kw + 2) / 3));
}

/** How dW is computed: Winograd where the options word allows it and it applies, else direct or im2col. */
function weightsKind(g: Geometry, filters: i32): i32 {
  if ((backwardOptions(g) & WINOGRAD) != 0 && prefersWinogradWeights(g, filters)) return WINOGRAD_F4;
  return directWeights(g, filters) ? DIRECT : IM2COL;
}

/**
 * How dx is computed. Stride-1 backward passes whose padding is below the kernel size can get
 * it as a convolution: dx = dy ⊛ W flipped and transposed, with padding k - 1 - pad (the glue
 * writes that convolution's geometry after g's, see transposedOf): by Winograd when the
 * options word allows it and it pays, else by the direct kernel when prefersDirect says so.
 * The rest: Wᵀ · dy folded back by col2im-T.
 */
function dxKind(g: Geometry): i32 {
  if (!isStrideOne(g) || g.padH >= g.kh || g.padW >= g.kw) return IM2COL;
  const gt = transposedOf(g);
  if ((backwardOptions(g) & WINOGRAD) != 0 && prefersWinograd(gt, g.c, directProducts(gt, g.c))) return WINOGRAD_F4;
  return prefersDirect(gt, g.c, g.kw) ? DIRECT : IM2COL;
}

/** The dx convolution's geometry: the 12 words after g's (written by the backward glue). */
// @ts-ignore: decorator
@inline function transposedOf(g: Geometry): Geometry {
  return changetype<Geometry>(changetype<usize>(g) + 48);
}

/** The backward options word after the two geometries (WINOGRAD: dx may run Winograd). */
// @ts-ignore: decorator
@inline function backwardOptions(g: Geometry): i32 {
  return load<i32>(changetype<usize>(g) + 96);
}

/** Bytes of the backward scratch's dW part: Winograd's or the direct kernel's (stride 1), or colsT. */
// @ts-ignore: decorator
@inline function dwScratchBytes(g: Geometry, filters: i32): usize {
  const kind = weightsKind(g, filters);
  if (kind == WINOGRAD_F4) return winogradWeightScratchBytes(g, filters);
  if (kind == DIRECT) return directWeightScratchBytes(g, filters);
  return align(<usize>(g.c * g.kh * g.kw * g.oh * g.ow) << 2);
}

/** Bytes of the backward scratch's dx part: Winograd's or the direct kernel's (after a zero bias), or dcolsT. */
// @ts-ignore: decorator
@inline function dxScratchBytes(g: Geometry): usize {
  const kind = dxKind(g);
  if (kind == WINOGRAD_F4) return align(<usize>g.c << 2) + winogradScratchBytes(transposedOf(g), g.c);
  if (kind == DIRECT) return align(<usize>g.c << 2) + directScratchBytes(transposedOf(g), g.c);
  return align(<usize>(g.c * g.kh * g.kw * g.oh * g.ow) << 2);
}

/** Bytes of scratch one image's backward pass needs: the dW part, GEMM scratch, the dx part. */
// @ts-ignore: decorator
@inline function imageBackwardScratchBytes(g: Geometry, filters: i32): usize {
  return dwScratchBytes(g, filters) + gemmScratchBytes() + dxScratchBytes(g);
}

/**
 * Bytes of scratch one backward call (conv2dBackward or conv2dPoolBackward) needs: one image's
 * work space plus one image's output gradient (ReLU-masked or routed from the pooled gradient).
 */
export function convBackwardScratchBytes(g: Geometry, filters: i32): usize {
  return imageBackwardScratchBytes(g, filters) + align(<usize>(filters * g.oh * g.ow) << 2);
}

/** First output column ox whose input column ox·s - pad + j is ≥ 0, at most ow. */
// @ts-ignore: decorator
@inline function firstInside(pad: i32, j: i32, s: i32, ow: i32): i32 {
  const d = pad - j;
  return d <= 0 ? 0 : min(ow, (d + s - 1) / s);
}

/** One past the last output column whose input column ox·s - pad + j is < w, clamped to [lo, ow]. */
// @ts-ignore: decorator
@inline function lastInside(w: i32, pad: i32, j: i32, s: i32, lo: i32, ow: i32): i32 {
  const d = w - 1 + pad - j;
  const hi = d < 0 ? 0 : min(ow, d / s + 1);
  return max(lo, hi);
}

/** Stores zeros into len floats at dst. */
// @ts-ignore: decorator
@inline function zero(dst: usize, len: i32): void {
  const z = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= len; k += 4) v128.store(dst + (<usize>k << 2), z);
  for (; k < len; k++) store<f32>(dst + (<usize>k << 2), 0);
}

/** im2col-T of one image x (c × h × w) into out (CKK × P). */
function im2colT(x: usize, g: Geometry, out: usize): void {
  const ow = g.ow;
  const sw = g.strideW;
  const rowBytes = <usize>ow << 2;
  for (let ch = 0; ch < g.c; ch++) {
    const plane = x + (<usize>(ch * g.h * g.w) << 2);
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        const lo = firstInside(g.padW, j, sw, ow);
        const hi = lastInside(g.w, g.padW, j, sw, lo, ow);
        for (let oy = 0; oy < g.oh; oy++, out += rowBytes) {
          const yy = oy * g.strideH - g.padH + i;
          if (yy < 0 || yy >= g.h) { zero(out, ow); continue; }
          zero(out, lo);
          // input column of output column ox is ox·sw + off
          const src = plane + (<usize>(yy * g.w) << 2);
          const off = j - g.padW;
          if (sw == 1) {
            const s = src + (<usize>(lo + off) << 2);
            const d = out + (<usize>lo << 2);
            const len = hi - lo;
            let k = 0;
            for (; k + 4 <= len; k += 4) v128.store(d + (<usize>k << 2), v128.load(s + (<usize>k << 2)));
            for (; k < len; k++) store<f32>(d + (<usize>k << 2), load<f32>(s + (<usize>k << 2)));
          } else {
            for (let ox = lo; ox < hi; ox++) {
              store<f32>(out + (<usize>ox << 2), load<f32>(src + (<usize>(ox * sw + off) << 2)));
            }
          }
          zero(out + (<usize>hi << 2), ow - hi);
        }
      }
    }
  }
}

/** col2im-T: adds colsT (CKK × P) into one image dx (c × h × w), which it zeroes first. */
function col2imT(cols: usize, g: Geometry, dx: usize): void {
  const ow = g.ow;
  const sw = g.strideW;
  const rowBytes = <usize>ow << 2;
  memory.fill(dx, 0, <usize>(g.c * g.h * g.w) << 2);
  for (let ch = 0; ch < g.c; ch++) {
    const plane = dx + (<usize>(ch * g.h * g.w) << 2);
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        const lo = firstInside(g.padW, j, sw, ow);
        const hi = lastInside(g.w, g.padW, j, sw, lo, ow);
        for (let oy = 0; oy < g.oh; oy++, cols += rowBytes) {
          const yy = oy * g.strideH - g.padH + i;
          if (yy < 0 || yy >= g.h) continue;
          const dst = plane + (<usize>(yy * g.w) << 2);
          const off = j - g.padW;
          if (sw == 1) {
            const d = dst + (<usize>(lo + off) << 2);
            addFloats(d, cols + (<usize>lo << 2), d, hi - lo);
          } else {
            for (let ox = lo; ox < hi; ox++) {
              const d = dst + (<usize>(ox * sw + off) << 2);
              store<f32>(d, load<f32>(d) + load<f32>(cols + (<usize>ox << 2)));
            }
          }
        }
      }
    }
  }
}

/**
 * Images [n0, n1) of the NCHW output: bias + W ⊛ x_n, then max(0, ·) with the RELU flag
 * (Winograd with the WINOGRAD flag where it pays, else the direct kernel or im2col + GEMM, see
 * forwardImage). x is NCHW (g.n images), w is F × CKK, scratch holds convForwardScratchBytes.
 * With `taken` (not 0) the steps are shared with the other thread, see claimStep.
 */
export function conv2dForward(x: usize, w: usize, bias: usize, g: Geometry, filters: i32, flags: i32, out: usize,
  n0: i32, n1: i32, taken: usize, scratch: usize): void {
  const kind = prepareForward(w, g, filters, flags, scratch);
  const imageBytes = <usize>(g.c * g.h * g.w) << 2;
  const outBytes = <usize>(filters * g.oh * g.ow) << 2;
  const relu = (flags & RELU) != 0;
  const step = imagesPerStep(kind, g);
  for (let n = claimStep(taken, n0, n0, step); n < n1; n = claimStep(taken, n0, n + step, step)) {
    forwardImages(kind, x + <usize>n * imageBytes, w, bias, g, filters, relu, out + <usize>n * outBytes, min(step, n1 - n), scratch);
  }
}

/**
 * The first image of this thread's next step: `next` when taken is 0, else the next unclaimed
 * step of [n0, n1) from the counter (images claimed so far) at `taken`, which both threads share.
 * A forward image's output does not depend on which thread computes it, so steps go to whichever
 * thread is free first (a VM's second core is at times slower or starts late).
 */
// @ts-ignore: decorator
@inline function claimStep(taken: usize, n0: i32, next: i32, step: i32): i32 {
  return taken == 0 ? next : n0 + atomic.add<i32>(taken, step);
}

/** Images one forward step computes together: a Winograd group, else one. */
// @ts-ignore: decorator
@inline function imagesPerStep(kind: i32, g: Geometry): i32 {
  return kind == WINOGRAD_F4 ? groupImages(g) : 1;
}

/** `count` (at most imagesPerStep) consecutive images of conv2dForward into y. */
function forwardImages(kind: i32, x: usize, w: usize, bias: usize, g: Geometry, filters: i32, relu: bool, y: usize,
  count: i32, scratch: usize): void {
  if (kind == WINOGRAD_F4) {
    winogradImages(x, bias, g, filters, relu, y, false, 0, 0, count, scratch);
    return;
  }
  forwardImage(kind, x, w, bias, g, filters, relu, y, scratch);
}

/** Prepares the forward kernel's weights (once per call) and returns which kernel it is. */
function prepareForward(w: usize, g: Geometry, filters: i32, flags: i32, scratch: usize): i32 {
  const kind = forwardKind(g, filters, flags);
  if (kind == WINOGRAD_F4) prepareWinograd(w, g, filters, scratch);
  else if (kind == DIRECT) prepare(w, g, filters, scratch);
  return kind;
}

/** One image of conv2dForward by the direct kernel or im2col + GEMM. */
function forwardImage(kind: i32, x: usize, w: usize, bias: usize, g: Geometry, filters: i32, relu: bool, y: usize,
  scratch: usize): void {
  if (kind == DIRECT) {
    directImage(x, bias, g, filters, relu, y, scratch);
    return;
  }
  // y (F × P) = bias ⊗ 1 + W (F × CKK) · colsT (CKK × P)
  const p = g.oh * g.ow;
  const ckk = g.c * g.kh * g.kw;
  im2colT(x, g, scratch);
  for (let f = 0; f < filters; f++) {
    const row = y + (<usize>(f * p) << 2);
    const b = load<f32>(bias + (<usize>f << 2));
    const vb = f32x4.splat(b);
    let k = 0;
    for (; k + 4 <= p; k += 4) v128.store(row + (<usize>k << 2), vb);
    for (; k < p; k++) store<f32>(row + (<usize>k << 2), b);
  }
  gemmInto(false, false, filters, p, ckk, w, scratch, y, 0, filters, 0, p, scratch + align(<usize>(ckk * p) << 2), true);
  if (relu) reluBackward(y, y, y, filters * p); // max(y, 0), in place
}

/** Where the backward scratch's GEMM part starts (after the dW part). */
// @ts-ignore: decorator
@inline function gemmScratchAt(g: Geometry, filters: i32, scratch: usize): usize {
  return scratch + dwScratchBytes(g, filters);
}

/** Where the backward scratch's dx part starts (after the dW and GEMM parts). */
// @ts-ignore: decorator
@inline function dxScratchAt(g: Geometry, filters: i32, scratch: usize): usize {
  return gemmScratchAt(g, filters, scratch) + gemmScratchBytes();
}

/** Once per backward call: prepares dx's direct kernel or Winograd that applies (flipped weights, zero bias). */
function prepareDx(w: usize, g: Geometry, filters: i32, withDx: bool, scratch: usize): void {
  const kind = dxKind(g);
  if (!withDx || kind == IM2COL) return;
  const at = dxScratchAt(g, filters, scratch);
  memory.fill(at, 0, <usize>g.c << 2);
  if (kind == WINOGRAD_F4) prepareWinogradFlipped(w, transposedOf(g), g.c, at + align(<usize>g.c << 2));
  else prepareFlipped(w, transposedOf(g), g.c, at + align(<usize>g.c << 2));
}

/** Starts a chunk's sums: zeroes its dw and db, and the dW kernel's own sums (Winograd's, or the direct kernel's tap groups and sums). */
function startSums(g: Geometry, filters: i32, dw: usize, db: usize, scratch: usize): void {
  memory.fill(dw, 0, <usize>(filters * g.c * g.kh * g.kw) << 2);
  memory.fill(db, 0, <usize>filters << 2);
  const kind = weightsKind(g, filters);
  if (kind == WINOGRAD_F4) startWinogradWeights(scratch);
  else if (kind == DIRECT) prepareWeights(g, filters, scratch);
}

/**
 * Backward passes sum dW and db chunk by chunk: images [0, n) are cut in `chunks` fixed ranges,
 * each summed into its own slot, and the slots are added in order afterwards (addSlots). So the
 * sums are the same bits whichever thread computes a chunk, and the threads take chunks as they
 * come free. The first image of chunk k:
 */
// @ts-ignore: decorator
@inline function chunkStart(n: i32, chunks: i32, k: i32): i32 {
  return <i32>((<i64>k * <i64>n) / <i64>chunks);
}

/** This thread's next chunk: `next` when taken is 0, else the next unclaimed one from the counter at `taken`. */
// @ts-ignore: decorator
@inline function claimChunk(taken: usize, next: i32): i32 {
  return taken == 0 ? next : atomic.add<i32>(taken, 1);
}

/** Slot 0 += slot 1, then += slot 2, … (`count` slots of len floats, back to back): the chunks' sums in a fixed order. */
export function addSlots(slots: usize, count: i32, len: i32): void {
  const bytes = <usize>len << 2;
  for (let k = 1; k < count; k++) addFloats(slots, slots + <usize>k * bytes, slots, len);
}

/** Ends a chunk: the dW kernel's own sums (Winograd's or the direct kernel's) become dw. */
function finishBackward(g: Geometry, filters: i32, dw: usize, scratch: usize): void {
  const kind = weightsKind(g, filters);
  if (kind == WINOGRAD_F4) finishWinogradWeights(g, filters, dw, scratch, gemmScratchAt(g, filters, scratch));
  else if (kind == DIRECT) finishWeights(g, filters, dw, scratch);
}

/**
 * One image of the backward pass: db += row sums of dyn, dW += its weight gradient and, unless
 * dx is 0, dx (one image, overwritten): by the direct kernels where they apply, else from
 * colsT = im2col-T(x) as dw += dyn · colsTᵀ and dx = col2im-T(Wᵀ · dyn).
 */
function backwardImage(x: usize, w: usize, dyn: usize, g: Geometry, filters: i32, dx: usize, dw: usize, db: usize,
  scratch: usize): void {
  const p = g.oh * g.ow;
  const ckk = g.c * g.kh * g.kw;
  const gs = gemmScratchAt(g, filters, scratch);
  for (let f = 0; f < filters; f++) {
    const row = dyn + (<usize>(f * p) << 2);
    let acc = f32x4.splat(0);
    let k = 0;
    for (; k + 4 <= p; k += 4) acc = f32x4.add(acc, v128.load(row + (<usize>k << 2)));
    let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
      f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    for (; k < p; k++) s += load<f32>(row + (<usize>k << 2));
    const d = db + (<usize>f << 2);
    store<f32>(d, load<f32>(d) + s);
  }
  const wk = weightsKind(g, filters);
  if (wk == WINOGRAD_F4) {
    winogradWeightImage(x, dyn, g, filters, scratch, gs);
  } else if (wk == DIRECT) {
    directWeightImage(x, dyn, g, filters, scratch);
  } else {
    im2colT(x, g, scratch);
    // dW (F × CKK) += dy_n (F × P) · colsTᵀ (colsT is CKK × P: B stored n×k)
    gemmInto(false, true, filters, ckk, p, dyn, scratch, dw, 0, filters, 0, ckk, gs, true);
  }
  if (dx == 0) return;
  const at = dxScratchAt(g, filters, scratch);
  const kind = dxKind(g);
  if (kind == WINOGRAD_F4) {
    winogradImages(dyn, at, transposedOf(g), g.c, false, dx, false, 0, 0, 1, at + align(<usize>g.c << 2));
    return;
  }
  if (kind == DIRECT) {
    directImage(dyn, at, transposedOf(g), g.c, false, dx, at + align(<usize>g.c << 2));
    return;
  }
  // dcolsT (CKK × P) = Wᵀ · dy_n (W is F × CKK: A stored k×m)
  gemmInto(true, false, ckk, p, filters, w, dyn, at, 0, ckk, 0, p, gs, false);
  col2imT(at, g, dx);
}

/**
 * The backward pass of images [0, n), chunk by chunk (see chunkStart): chunk k's sums overwrite
 * slot k of dw (chunks × F × CKK) and db (chunks × F); dx images are overwritten unless dx is 0
 * (skipped). When reluOut (the forward output of a fused ReLU) is not 0, each image's dy is
 * zeroed where reluOut ≤ 0 (in scratch: inputs are never written). With `taken` (not 0) the
 * chunks are shared with the other thread. scratch holds convBackwardScratchBytes.
 */
export function conv2dBackward(x: usize, w: usize, dy: usize, reluOut: usize, g: Geometry, filters: i32, dx: usize,
  dw: usize, db: usize, n: i32, chunks: i32, taken: usize, scratch: usize): void {
  backwardChunks(x, w, dy, reluOut, 0, changetype<Geometry>(0), g, filters, dx, dw, db, n, chunks, taken, scratch);
}

/**
 * The chunk loop of both backward passes. Image i's output gradient is dy's image i (ReLU-masked
 * into scratch when `relu` is not 0), or with pooling (arg not 0) dy's pooled image i routed to its
 * maxima (skipped where `relu`, the pooled output, is ≤ 0) in scratch past the conv scratch.
 */
function backwardChunks(x: usize, w: usize, dy: usize, relu: usize, arg: usize, pg: Geometry, g: Geometry, filters: i32,
  dx: usize, dw: usize, db: usize, n: i32, chunks: i32, taken: usize, scratch: usize): void {
  const fp = filters * g.oh * g.ow;
  const imageBytes = <usize>(g.c * g.h * g.w) << 2;
  const dwBytes = <usize>(filters * g.c * g.kh * g.kw) << 2;
  const routed = scratch + imageBackwardScratchBytes(g, filters);
  prepareDx(w, g, filters, dx != 0, scratch);
  for (let k = claimChunk(taken, 0); k < chunks; k = claimChunk(taken, k + 1)) {
    const dwk = dw + <usize>k * dwBytes;
    const dbk = db + (<usize>(k * filters) << 2);
    startSums(g, filters, dwk, dbk, scratch);
    for (let i = chunkStart(n, chunks, k); i < chunkStart(n, chunks, k + 1); i++) {
      let dyn = dy + (<usize>(i * fp) << 2);
      if (arg != 0) {
        routeToMaxima(dy, arg, relu, i, filters * pg.oh * pg.ow, fp, routed);
        dyn = routed;
      } else if (relu != 0) {
        reluBackward(relu + (<usize>(i * fp) << 2), dyn, routed, fp);
        dyn = routed;
      }
      backwardImage(x + <usize>i * imageBytes, w, dyn, g, filters, dx == 0 ? 0 : dx + <usize>i * imageBytes, dwk, dbk, scratch);
    }
    finishBackward(g, filters, dwk, scratch);
  }
}

/** Image i's pooled gradient (pooled values an image) summed at its maxima into dyn (fp floats, overwritten). */
function routeToMaxima(dy: usize, arg: usize, reluPooled: usize, i: i32, pooled: i32, fp: i32, dyn: usize): void {
  memory.fill(dyn, 0, <usize>fp << 2);
  const first = i * pooled;
  for (let j = first; j < first + pooled; j++) {
    const at = <usize>j << 2;
    const idx = load<i32>(arg + at) - i * fp;
    if (idx < 0 || (reluPooled != 0 && !(load<f32>(reluPooled + at) > 0))) continue;
    const d = dyn + (<usize>idx << 2);
    store<f32>(d, load<f32>(d) + load<f32>(dy + at));
  }
}

/**
 * Bytes of scratch one conv2dPoolForward call needs: conv scratch, plus (unless Winograd pools
 * as it folds) one step's conv output and one image's argmax (written there when none is wanted).
 */
export function convPoolForwardScratchBytes(g: Geometry, pg: Geometry, filters: i32, flags: i32): usize {
  const kind = forwardKind(g, filters, flags);
  const own = convForwardScratchBytes(g, filters, flags);
  if (poolsInFold(kind, pg)) return own;
  if (directPools(kind, g, pg, filters)) return directPoolScratchBytes(g, filters);
  return own + align(<usize>(imagesPerStep(kind, g) * filters * g.oh * g.ow) << 2) + align(<usize>(filters * pg.oh * pg.ow) << 2);
}

/** Whether Winograd pools as it folds: 2×2 windows, stride 2 (a tile's 4×4 pixels hold whole windows). */
// @ts-ignore: decorator
@inline function poolsInFold(kind: i32, pg: Geometry): bool {
  return kind == WINOGRAD_F4 && pg.kh == 2 && pg.kw == 2 && pg.strideH == 2 && pg.strideW == 2 && pg.padH == 0 && pg.padW == 0;
}

/** Whether the direct kernel with pooling folded in runs: not where Winograd does (half the products). */
// @ts-ignore: decorator
@inline function directPools(kind: i32, g: Geometry, pg: Geometry, filters: i32): bool {
  return kind != WINOGRAD_F4 && prefersDirectPool(g, pg, filters);
}

/**
 * Images [n0, n1) of conv (+ ReLU) → max pooling: only the pooled output and, unless arg is 0,
 * the argmax (flat indices into the n·F·oh·ow conv output) are written. Winograd pools 2×2 as
 * it folds each tile, and so does the direct-pool kernel where it applies (directPools);
 * otherwise each step's conv output stays in scratch for maxPool.
 * pg is the pooling geometry over one image's conv output (n = 1, c = filters).
 */
export function conv2dPoolForward(x: usize, w: usize, bias: usize, g: Geometry, pg: Geometry, filters: i32, flags: i32,
  out: usize, arg: usize, n0: i32, n1: i32, taken: usize, scratch: usize): void {
  const fp = filters * g.oh * g.ow;
  const pooled = filters * pg.oh * pg.ow;
  const imageBytes = <usize>(g.c * g.h * g.w) << 2;
  const pooledBytes = <usize>pooled << 2;
  const relu = (flags & RELU) != 0;
  if (directPools(forwardKind(g, filters, flags), g, pg, filters)) {
    prepareDirectPool(w, g, filters, scratch);
    for (let n = claimStep(taken, n0, n0, 1); n < n1; n = claimStep(taken, n0, n + 1, 1)) {
      directPoolImage(x + <usize>n * imageBytes, bias, g, pg, filters, relu, out + <usize>n * pooledBytes,
        arg == 0 ? 0 : arg + <usize>n * pooledBytes, n * fp, scratch);
    }
    return;
  }
  const kind = prepareForward(w, g, filters, flags, scratch);
  const step = imagesPerStep(kind, g);
  if (poolsInFold(kind, pg)) {
    for (let n = claimStep(taken, n0, n0, step); n < n1; n = claimStep(taken, n0, n + step, step)) {
      winogradImages(x + <usize>n * imageBytes, bias, g, filters, relu, out + <usize>n * pooledBytes, true,
        arg == 0 ? 0 : arg + <usize>n * pooledBytes, n * fp, min(step, n1 - n), scratch);
    }
    return;
  }
  const y = scratch + convForwardScratchBytes(g, filters, flags);
  const unwanted = y + align(<usize>(step * fp) << 2); // argmax nobody reads
  for (let n = claimStep(taken, n0, n0, step); n < n1; n = claimStep(taken, n0, n + step, step)) {
    const count = min(step, n1 - n);
    forwardImages(kind, x + <usize>n * imageBytes, w, bias, g, filters, relu, y, count, scratch);
    for (let k = 0; k < count; k++) {
      const a = arg == 0 ? unwanted : arg + <usize>(n + k) * pooledBytes;
      maxPool(y + (<usize>(k * fp) << 2), pg, out + <usize>(n + k) * pooledBytes, a);
      if (arg != 0) shiftIndexes(a, pooled, (n + k) * fp);
    }
  }
}

/** Image-local argmax indices → indices into the whole batch's conv output (-1, an empty window, stays). */
function shiftIndexes(a: usize, len: i32, by: i32): void {
  const shift = i32x4.splat(by);
  const none = i32x4.splat(-1);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const at = a + (<usize>i << 2);
    const v = v128.load(at);
    v128.store(at, v128.bitselect(v, i32x4.add(v, shift), i32x4.eq(v, none)));
  }
  for (; i < len; i++) {
    const at = a + (<usize>i << 2);
    const v = load<i32>(at);
    if (v >= 0) store<i32>(at, v + by);
  }
}

/**
 * The backward of conv2dPoolForward, chunk by chunk as conv2dBackward: each image's pooled
 * gradient is routed to its maxima (skipped where reluPooled, if not 0, is ≤ 0) in scratch,
 * then as conv2dBackward.
 */
export function conv2dPoolBackward(x: usize, w: usize, dy: usize, arg: usize, reluPooled: usize, g: Geometry,
  pg: Geometry, filters: i32, dx: usize, dw: usize, db: usize, n: i32, chunks: i32, taken: usize, scratch: usize): void {
  backwardChunks(x, w, dy, reluPooled, arg, pg, g, filters, dx, dw, db, n, chunks, taken, scratch);
}
