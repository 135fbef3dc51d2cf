/**
 * Reference kernels in plain TypeScript: the specification every fast backend is tested
 * against, and the float64 path for gradient checks.
 */
import {
  windowOutput,
  type AdamArgs, type BinaryArgs, type BinaryOp, type ChannelAffineArgs, type ChannelMomentsArgs, type ChannelSumsArgs,
  type FloatArray, type GemmArgs, type Kernels, type MaxPoolArgs, type ReduceOp, type UnaryOp, type Window2D,
} from './kernels.ts';
import { batchNormCoefficients } from './batchnorm-backward.ts';
import { conv2dBackward, conv2dForward, conv2dPoolBackward, conv2dPoolForward } from './reference-conv.ts';

/** The smallest normal number of an array's dtype. */
const normalMin = (x: FloatArray): number => (x instanceof Float32Array ? 2 ** -126 : 2 ** -1022);

/** x, or 0 when it is below `tiny` in magnitude (a subnormal of the dtype whose normalMin is tiny). */
const flushSubnormal = (x: number, tiny: number): number => (Math.abs(x) < tiny ? 0 : x);

const unaryFns: Readonly<Record<UnaryOp, (x: number) => number>> = {
  neg: (x) => -x,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  sign: Math.sign,
  relu: (x) => (x > 0 ? x : 0),
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh: Math.tanh,
  step: (x) => (x > 0 ? 1 : 0),
  // float32's threshold; referenceKernels.unary gives float64 buffers theirs
  flushSubnormal: (x) => flushSubnormal(x, 2 ** -126),
};

const binaryFns: Readonly<Record<BinaryOp, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  min: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
  pow: Math.pow,
  greater: (a, b) => (a > b ? 1 : 0),
  equal: (a, b) => (a === b ? 1 : 0),
};

const gemm = ({ transA, transB, m, n, k, a, b, out }: GemmArgs): void => {
  if (!transA && !transB) {
    out.fill(0);
    for (let i = 0; i < m; i++) {
      const o = i * n;
      for (let p = 0; p < k; p++) {
        const av = a[i * k + p];
        if (av === 0) continue;
        const bo = p * n;
        for (let j = 0; j < n; j++) out[o + j] += av * b[bo + j];
      }
    }
  } else if (!transA && transB) {
    for (let i = 0; i < m; i++) {
      const ao = i * k;
      for (let j = 0; j < n; j++) {
        const bo = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ao + p] * b[bo + p];
        out[i * n + j] = s;
      }
    }
  } else if (transA && !transB) {
    out.fill(0);
    for (let p = 0; p < k; p++) {
      const bo = p * n;
      for (let i = 0; i < m; i++) {
        const av = a[p * m + i];
        if (av === 0) continue;
        const o = i * n;
        for (let j = 0; j < n; j++) out[o + j] += av * b[bo + j];
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[p * m + i] * b[j * k + p];
        out[i * n + j] = s;
      }
    }
  }
};

const binary = ({ op, a, aStrides, b, bStrides, outShape, out }: BinaryArgs): void => {
  const f = binaryFns[op];
  const rank = outShape.length;
  const size = out.length;
  if (rank === 0) { if (size > 0) out[0] = f(a[0], b[0]); return; }
  const last = rank - 1;
  const lastLen = outShape[last];
  const as = aStrides[last];
  const bs = bStrides[last];
  const index = new Array<number>(rank).fill(0);
  let ai = 0;
  let bi = 0;
  for (let o = 0; o < size; o += lastLen) {
    for (let j = 0; j < lastLen; j++) out[o + j] = f(a[ai + j * as], b[bi + j * bs]);
    // advance the multi-index over all axes but the last
    for (let d = last - 1; d >= 0; d--) {
      index[d]++;
      ai += aStrides[d];
      bi += bStrides[d];
      if (index[d] < outShape[d]) break;
      ai -= aStrides[d] * outShape[d];
      bi -= bStrides[d] * outShape[d];
      index[d] = 0;
    }
  }
};

const reduce = (op: ReduceOp, x: FloatArray, outer: number, len: number, inner: number,
  out: FloatArray): void => {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let acc = op === 'sum' ? 0 : x[base];
      for (let l = op === 'sum' ? 0 : 1; l < len; l++) {
        const v = x[base + l * inner];
        if (op === 'sum') acc += v;
        else if (op === 'max') acc = v > acc || Number.isNaN(v) ? v : acc;
        else acc = v < acc || Number.isNaN(v) ? v : acc;
      }
      out[o * inner + i] = acc;
    }
  }
};

const argmax = (x: FloatArray, outer: number, len: number, inner: number, out: Int32Array): void => {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let best = 0;
      let bestV = x[base];
      for (let l = 1; l < len; l++) {
        const v = x[base + l * inner];
        if (v > bestV) { bestV = v; best = l; }
      }
      out[o * inner + i] = best;
    }
  }
};

const softmax = (x: FloatArray, rows: number, cols: number, out: FloatArray): void => {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > mx) mx = x[o + j];
    let s = 0;
    for (let j = 0; j < cols; j++) { const e = Math.exp(x[o + j] - mx); out[o + j] = e; s += e; }
    const inv = 1 / s;
    for (let j = 0; j < cols; j++) out[o + j] *= inv;
  }
};

const adam = ({ g, m, v, step, params, outM, outV, outUpdate }: AdamArgs): void => {
  const { beta1, beta2, eps, stepSize } = step;
  const tiny = normalMin(outM);
  for (let i = 0; i < g.length; i++) {
    const gi = g[i];
    const mi = flushSubnormal(beta1 * m[i] + (1 - beta1) * gi, tiny);
    const vi = flushSubnormal(beta2 * v[i] + (1 - beta2) * gi * gi, tiny);
    outM[i] = mi;
    outV[i] = vi;
    const u = (stepSize * mi) / (Math.sqrt(vi) + eps);
    outUpdate[i] = params !== undefined ? params[i] + u : u;
  }
};

/** For one image: the input offset each element of its column matrix reads (-1 in the padding). */
const patchSources = (g: Window2D): Int32Array => {
  const { oh, ow } = windowOutput(g);
  const { c, h, w, kh, kw, strideH, strideW, padH, padW } = g;
  const src = new Int32Array(oh * ow * c * kh * kw);
  let o = 0;
  for (let y = 0; y < oh; y++) {
    for (let xo = 0; xo < ow; xo++) {
      for (let ch = 0; ch < c; ch++) {
        for (let i = 0; i < kh; i++) {
          const yy = y * strideH - padH + i;
          for (let j = 0; j < kw; j++) {
            const xx = xo * strideW - padW + j;
            src[o++] = yy >= 0 && yy < h && xx >= 0 && xx < w ? (ch * h + yy) * w + xx : -1;
          }
        }
      }
    }
  }
  return src;
};

const im2col = (x: FloatArray, g: Window2D, out: FloatArray): void => {
  const src = patchSources(g);
  const image = g.c * g.h * g.w;
  for (let b = 0; b < g.n; b++) {
    const o = b * src.length;
    for (let e = 0; e < src.length; e++) out[o + e] = src[e] < 0 ? 0 : x[b * image + src[e]];
  }
};

const col2im = (cols: FloatArray, g: Window2D, out: FloatArray): void => {
  const src = patchSources(g);
  const image = g.c * g.h * g.w;
  out.fill(0);
  for (let b = 0; b < g.n; b++) {
    const o = b * src.length;
    for (let e = 0; e < src.length; e++) if (src[e] >= 0) out[b * image + src[e]] += cols[o + e];
  }
};

/** Visits every pooling window: f(outIndex, planeOffset, y0, x0). */
const forEachWindow = (g: Window2D, f: (o: number, plane: number, y0: number, x0: number) => void): void => {
  const { oh, ow } = windowOutput(g);
  let o = 0;
  for (let p = 0; p < g.n * g.c; p++) {
    const plane = p * g.h * g.w;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) f(o++, plane, y * g.strideH - g.padH, xo * g.strideW - g.padW);
    }
  }
};

const maxPool = ({ x, g, out, argmax }: MaxPoolArgs): void => {
  forEachWindow(g, (o, plane, y0, x0) => {
    let best = -Infinity;
    let bestIdx = -1;
    for (let i = Math.max(0, y0); i < Math.min(g.h, y0 + g.kh); i++) {
      for (let j = Math.max(0, x0); j < Math.min(g.w, x0 + g.kw); j++) {
        const idx = plane + i * g.w + j;
        if (x[idx] > best || bestIdx < 0) { best = x[idx]; bestIdx = idx; }
      }
    }
    out[o] = bestIdx < 0 ? 0 : best;
    if (argmax !== undefined) argmax[o] = bestIdx;
  });
};

const maxPoolBackward = (dy: FloatArray, arg: Int32Array, out: FloatArray): void => {
  out.fill(0);
  for (let o = 0; o < dy.length; o++) if (arg[o] >= 0) out[arg[o]] += dy[o];
};

const avgPool = (x: FloatArray, g: Window2D, out: FloatArray): void => {
  const inv = 1 / (g.kh * g.kw);
  forEachWindow(g, (o, plane, y0, x0) => {
    let s = 0;
    for (let i = Math.max(0, y0); i < Math.min(g.h, y0 + g.kh); i++) {
      for (let j = Math.max(0, x0); j < Math.min(g.w, x0 + g.kw); j++) s += x[plane + i * g.w + j];
    }
    out[o] = s * inv;
  });
};

const avgPoolBackward = (dy: FloatArray, g: Window2D, out: FloatArray): void => {
  const inv = 1 / (g.kh * g.kw);
  out.fill(0);
  forEachWindow(g, (o, plane, y0, x0) => {
    const d = dy[o] * inv;
    for (let i = Math.max(0, y0); i < Math.min(g.h, y0 + g.kh); i++) {
      for (let j = Math.max(0, x0); j < Math.min(g.w, x0 + g.kw); j++) out[plane + i * g.w + j] += d;
    }
  });
};

/** Calls f(offset of run, channel) for each contiguous run of `inner` elements of [n, c, inner]. */
const forEachRun = (n: number, c: number, inner: number, f: (offset: number, ch: number) => void): void => {
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) f((b * c + ch) * inner, ch);
};

const channelMoments = ({ x, n, c, inner, outMean, outVar }: ChannelMomentsArgs): void => {
  const sums = new Float64Array(c);
  const squares = new Float64Array(c);
  const count = n * inner;
  forEachRun(n, c, inner, (o, ch) => { for (let i = 0; i < inner; i++) sums[ch] += x[o + i]; });
  forEachRun(n, c, inner, (o, ch) => {
    const m = sums[ch] / count;
    for (let i = 0; i < inner; i++) squares[ch] += (x[o + i] - m) ** 2;
  });
  for (let ch = 0; ch < c; ch++) { outMean[ch] = sums[ch] / count; outVar[ch] = squares[ch] / count; }
};

/** x[i], or 0 where a given gate is not > 0 (reluBackward's rule). */
const gatedBy = (x: FloatArray, gate: FloatArray | undefined): ((i: number) => number) =>
  (gate !== undefined ? (i) => (gate[i] > 0 ? x[i] : 0) : (i) => x[i]);

const channelSums = ({ x, gate, y, n, c, inner, outSum, outDot }: ChannelSumsArgs): void => {
  const sums = new Float64Array(c);
  const dots = new Float64Array(c);
  const at = gatedBy(x, gate);
  forEachRun(n, c, inner, (o, ch) => {
    for (let i = 0; i < inner; i++) {
      const v = at(o + i);
      sums[ch] += v;
      if (y !== undefined) dots[ch] += v * y[o + i];
    }
  });
  outSum.set(sums);
  if (outDot !== undefined) outDot.set(dots);
};

const channelAffine = ({ x, gate, sx, y, sy, shift, n, c, inner, relu, out }: ChannelAffineArgs): void => {
  const at = gatedBy(x, gate);
  forEachRun(n, c, inner, (o, ch) => {
    const a = sx[ch];
    const t = shift[ch];
    const e = sy !== undefined ? sy[ch] : 0;
    for (let i = 0; i < inner; i++) out[o + i] = (y !== undefined ? y[o + i] * e : 0) + (at(o + i) * a + t);
    if (relu) for (let i = 0; i < inner; i++) out[o + i] = unaryFns.relu(out[o + i]);
  });
};

const batchNormBackward: Kernels['batchNormBackward'] = ({ dy, gate, x, mean, std, gamma, n, c, inner, train, outDx, outDgamma, outDbeta }) => {
  const dot = dy instanceof Float64Array ? new Float64Array(c) : new Float32Array(c);
  channelSums({ x: dy, gate, y: x, n, c, inner, outSum: outDbeta, outDot: dot });
  const k = batchNormCoefficients(outDbeta, dot, mean, std, gamma, n * inner, train);
  outDgamma.set(k.dgamma);
  const onX = train ? { y: x, sy: k.onX } : {};
  channelAffine({ x: dy, gate, sx: k.scale, ...onX, shift: k.shift, n, c, inner, relu: false, out: outDx });
};

const convParts = { gemm, im2col, col2im, maxPool };

/** The reference TypeScript backend. */
export const referenceKernels: Kernels = {
  name: 'reference',
  gemm,
  unary: (op, x, out) => {
    const tiny = normalMin(out);
    const f = op === 'flushSubnormal' ? (v: number) => flushSubnormal(v, tiny) : unaryFns[op];
    for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  },
  binary,
  scaleShift: (x, s, t, out) => {
    for (let i = 0; i < x.length; i++) out[i] = x[i] * s + t;
  },
  addRowVector: (x, bias, rows, cols, out) => {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) out[o + j] = x[o + j] + bias[j];
    }
  },
  sumRows: (x, rows, cols, out) => {
    out.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) out[j] += x[o + j];
    }
  },
  reluBackward: (x, dy, out) => {
    for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? dy[i] : 0;
  },
  decodeRows: ({ bytes, rowBytes, rows, table, out }) => {
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0, s = rows[i] * rowBytes, o = i * rowBytes; j < rowBytes; j++) out[o + j] = table[bytes[s + j]];
    }
  },
  reduce,
  argmax,
  softmax,
  adam,
  im2col,
  col2im,
  conv2dForward: (a) => conv2dForward(convParts, a),
  conv2dBackward: (a) => conv2dBackward(convParts, a),
  conv2dPoolForward: (a) => conv2dPoolForward(convParts, a),
  conv2dPoolBackward: (a) => conv2dPoolBackward(convParts, a),
  maxPool,
  maxPoolBackward,
  avgPool,
  avgPoolBackward,
  channelMoments,
  channelSums,
  channelAffine,
  batchNormBackward,
};
