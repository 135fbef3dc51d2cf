/**
 * The fused convolution kernels (Kernels.conv2dForward / conv2dBackward): the reference against
 * a naive direct convolution written here (forward, and the three gradients by their direct
 * formulas plus a finite-difference check of ⟨dy, conv(x)⟩), then the wasm kernels (both builds,
 * one and two threads) against the reference on random geometries: strides 1–3, padding 0–2,
 * non-square inputs and kernels, windows that only just fit. Stride-1 forward runs the direct
 * kernel (8-filter lanes, 6-pixel tiles along padded rows), and 3×3 stride-1 forward with 4 or
 * more channels (dx with 4 or more filters, dW with C·F ≥ 16 (C + F)) Winograd F(4×4, 3×3), so
 * those get cases of their own. Winograd reassociates each sum over a 6×6 patch, so forward
 * outputs and dx are compared relative to the largest Σ|w·x| + |b| (or Σ|w·dy|) of their plane,
 * and dW relative to the largest Σ|dy·x| of its filter and channel.
 */
import { expect } from 'chai';
import { windowOutput, type FloatArray, type Kernels, type Window2D } from '../lib/kernels/kernels.ts';
import { referenceKernels as ref } from '../lib/kernels/reference.ts';
import { loadKernels, type Variant } from '../lib/kernels/wasm/load.ts';
import { createWasmKernels, type WasmKernels } from '../lib/kernels/wasm/kernels.ts';
import { hasRelaxedSimd } from '../lib/kernels/wasm/detect.ts';

import { rng } from './helpers/rng.ts';
import { untilThreadsReady } from './helpers/threads.ts';
const rand = rng(2024);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const randf = <T extends FloatArray>(make: (n: number) => T, n: number): T => {
  const a = make(n);
  for (let i = 0; i < n; i++) a[i] = rand() * 2 - 1;
  return a;
};
const f32 = (n: number): Float32Array => new Float32Array(n);
const f64 = (n: number): Float64Array => new Float64Array(n);

/** Max |x - y| / max(1, |y|). */
const maxRelErr = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
  expect(x.length).to.equal(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) return Infinity;
    worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
  }
  return worst;
};
const close = (x: ArrayLike<number>, y: ArrayLike<number>, tol: number, what: string): void => {
  const err = maxRelErr(x, y);
  expect(err, `${what}: max relative error ${err}`).to.be.at.most(tol);
};

/** Max |x - y| / scale (elementwise scale, or one number for all). */
const maxScaledErr = (x: ArrayLike<number>, y: ArrayLike<number>, scale: ArrayLike<number> | number): number => {
  expect(x.length).to.equal(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) return Infinity;
    const s = typeof scale === 'number' ? scale : scale[i];
    worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(s, Number.MIN_VALUE));
  }
  return worst;
};
/** Forward outputs: |x - y| ≤ tol · scale (see forwardScale). */
const closeScaled = (x: ArrayLike<number>, y: ArrayLike<number>, scale: ArrayLike<number> | number, tol: number,
  what: string): void => {
  const err = maxScaledErr(x, y, scale);
  expect(err, `${what}: max error / scale ${err}`).to.be.at.most(tol);
};
/** Float32 forward outputs and dx may differ from the reference by this much of their scale (Winograd's reassociation). */
const SUM_TOL = 2e-5;

/** A convolution problem: geometry, filters and its sizes. */
interface Case { readonly g: Window2D; readonly f: number }
const show = ({ g, f }: Case): string =>
  `${g.n}×${g.c}×${g.h}×${g.w} * ${f}@${g.kh}×${g.kw} s${g.strideH},${g.strideW} p${g.padH},${g.padW}`;
const sizes = ({ g, f }: Case): { x: number; w: number; y: number } => {
  const { oh, ow } = windowOutput(g);
  return { x: g.n * g.c * g.h * g.w, w: f * g.c * g.kh * g.kw, y: g.n * f * oh * ow };
};

/** Random geometries over the ranges in the header, each window fitting its padded input. */
const randomCase = (cs: readonly number[], fs: readonly number[], ns: readonly number[], maxHW: number): Case => {
  const kh = int(1, 5);
  const kw = int(1, 5);
  const padH = int(0, 2);
  const padW = int(0, 2);
  const h = int(Math.max(1, kh - 2 * padH), maxHW);
  const w = int(Math.max(1, kw - 2 * padW), maxHW);
  return {
    g: { n: pick(ns), c: pick(cs), h, w, kh, kw, strideH: int(1, 3), strideW: int(1, 3), padH, padW },
    f: pick(fs),
  };
};

/** Hand-picked edges: the window exactly fills the padded input, 1-pixel images, 1×1 kernels. */
const edgeCases: readonly Case[] = [
  { g: { n: 2, c: 3, h: 5, w: 7, kh: 5, kw: 7, strideH: 1, strideW: 1, padH: 0, padW: 0 }, f: 5 },
  { g: { n: 1, c: 1, h: 1, w: 1, kh: 5, kw: 5, strideH: 1, strideW: 1, padH: 2, padW: 2 }, f: 1 },
  { g: { n: 3, c: 1, h: 1, w: 9, kh: 3, kw: 3, strideH: 2, strideW: 3, padH: 1, padW: 2 }, f: 5 },
  { g: { n: 3, c: 16, h: 6, w: 6, kh: 1, kw: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 }, f: 30 },
  { g: { n: 8, c: 3, h: 9, w: 4, kh: 2, kw: 4, strideH: 3, strideW: 1, padH: 2, padW: 0 }, f: 1 },
  { g: { n: 1, c: 1, h: 2, w: 2, kh: 4, kw: 4, strideH: 3, strideW: 3, padH: 1, padW: 1 }, f: 30 },
];

/** Naive direct convolution (7 loops): the book's definition. */
const naiveForward = ({ g, f }: Case, x: FloatArray, w: FloatArray, b: FloatArray): Float64Array => {
  const { oh, ow } = windowOutput(g);
  const y = f64(g.n * f * oh * ow);
  for (let n = 0; n < g.n; n++) {
    for (let k = 0; k < f; k++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let s = b[k];
          for (let c = 0; c < g.c; c++) {
            for (let i = 0; i < g.kh; i++) {
              for (let j = 0; j < g.kw; j++) {
                const yy = oy * g.strideH - g.padH + i;
                const xx = ox * g.strideW - g.padW + j;
                if (yy < 0 || yy >= g.h || xx < 0 || xx >= g.w) continue;
                s += w[((k * g.c + c) * g.kh + i) * g.kw + j] * x[((n * g.c + c) * g.h + yy) * g.w + xx];
              }
            }
          }
          y[((n * f + k) * oh + oy) * ow + ox] = s;
        }
      }
    }
  }
  return y;
};

/** Naive gradients by their direct formulas: every (output, tap) pair feeds dx, dW and db. */
const naiveBackward = ({ g, f }: Case, x: FloatArray, w: FloatArray, dy: FloatArray): { dx: Float64Array; dw: Float64Array; db: Float64Array } => {
  const { oh, ow } = windowOutput(g);
  const dx = f64(g.n * g.c * g.h * g.w);
  const dw = f64(f * g.c * g.kh * g.kw);
  const db = f64(f);
  for (let n = 0; n < g.n; n++) {
    for (let k = 0; k < f; k++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const d = dy[((n * f + k) * oh + oy) * ow + ox];
          db[k] += d;
          for (let c = 0; c < g.c; c++) {
            for (let i = 0; i < g.kh; i++) {
              for (let j = 0; j < g.kw; j++) {
                const yy = oy * g.strideH - g.padH + i;
                const xx = ox * g.strideW - g.padW + j;
                if (yy < 0 || yy >= g.h || xx < 0 || xx >= g.w) continue;
                const wi = ((k * g.c + c) * g.kh + i) * g.kw + j;
                const xi = ((n * g.c + c) * g.h + yy) * g.w + xx;
                dx[xi] += d * w[wi];
                dw[wi] += d * x[xi];
              }
            }
          }
        }
      }
    }
  }
  return { dx, dw, db };
};

/**
 * For every output, the largest Σ|w·x| + |b| of its output plane (float64): the scale of the
 * sums a Winograd tile's transforms mix (an output near wide padding has a small sum of its own).
 */
const forwardScale = (c: Case, inp: { x: FloatArray; w: FloatArray; b: FloatArray }): Float64Array => {
  const y = f64(sizes(c).y);
  ref.conv2dForward({
    x: Float64Array.from(inp.x, Math.abs), w: Float64Array.from(inp.w, Math.abs), bias: Float64Array.from(inp.b, Math.abs),
    g: c.g, filters: c.f, relu: false, out: y,
  });
  const { oh, ow } = windowOutput(c.g);
  return planeMax(y, oh * ow);
};

/** Each plane of `len` values replaced by its largest (see forwardScale). */
const planeMax = (a: Float64Array, len: number): Float64Array => {
  for (let at = 0; at < a.length; at += len) a.fill(Math.max(...a.subarray(at, at + len)), at, at + len);
  return a;
};

/** For every dx element, the largest Σ|w·dy| of its plane (float64); reluOut masks dy as in the kernels. */
const dxScale = (c: Case, x: FloatArray, w: FloatArray, dy: FloatArray, reluOut: FloatArray | undefined): Float64Array => {
  const dx = f64(sizes(c).x);
  ref.conv2dBackward({
    x: Float64Array.from(x, Math.abs), w: Float64Array.from(w, Math.abs), dy: Float64Array.from(dy, Math.abs), g: c.g, filters: c.f,
    reluOutput: reluOut && Float64Array.from(reluOut), outDx: dx, outDw: f64(sizes(c).w), outDb: f64(c.f),
  });
  return planeMax(dx, c.g.h * c.g.w);
};

/**
 * For every dW element, the largest Σ|dy·x| (over images and pixels, float64; reluOut masks dy as
 * in the kernels) of its filter and channel's kh·kw taps: the sums Winograd's weight gradient mixes.
 */
const dwScale = (c: Case, x: FloatArray, w: FloatArray, dy: FloatArray, reluOut: FloatArray | undefined): Float64Array => {
  const dw = f64(sizes(c).w);
  ref.conv2dBackward({
    x: Float64Array.from(x, Math.abs), w: Float64Array.from(w), dy: Float64Array.from(dy, Math.abs), g: c.g, filters: c.f,
    reluOutput: reluOut && Float64Array.from(reluOut), outDw: dw, outDb: f64(c.f),
  });
  return planeMax(dw, c.g.kh * c.g.kw);
};

/**
 * dW against the reference, relative to Σ|dy·x| (dwScale): Winograd's weight gradient (3×3 layers
 * with enough channels and filters) sums in the transformed domain: up to 4e-7 of it measured on
 * dense random dy, 2e-6 on a max pool's sparse routed gradient; the direct kernel about 1e-8.
 */
const DW_TOL = 1e-5;

/** Random inputs of one case. */
const inputs = <T extends FloatArray>(c: Case, make: (n: number) => T): { x: T; w: T; b: T; dy: T } => {
  const s = sizes(c);
  return { x: randf(make, s.x), w: randf(make, s.w), b: randf(make, c.f), dy: randf(make, s.y) };
};

/** Runs forward and backward of kernels k on fresh zeroed outputs; checks inputs are untouched. */
const run = <T extends FloatArray>(k: Kernels, c: Case, make: (n: number) => T, inp: { x: T; w: T; b: T; dy: T },
  withDx = true, relu = false): { y: T; dx: T; dw: T; db: T } => {
  const copies = [inp.x, inp.w, inp.b, inp.dy].map((a) => a.slice());
  const s = sizes(c);
  const y = make(s.y);
  k.conv2dForward({ x: inp.x, w: inp.w, bias: inp.b, g: c.g, filters: c.f, relu, out: y });
  const yCopy = y.slice();
  const dx = make(withDx ? s.x : 0);
  const dw = make(s.w);
  const db = make(c.f);
  k.conv2dBackward({
    x: inp.x, w: inp.w, dy: inp.dy, g: c.g, filters: c.f, reluOutput: relu ? y : undefined, outDx: withDx ? dx : undefined,
    outDw: dw, outDb: db,
  });
  expect(y.findIndex((v, j) => !Object.is(v, yCopy[j])), 'reluOutput written').to.equal(-1);
  [inp.x, inp.w, inp.b, inp.dy].forEach((a, i) => {
    const changed = a.findIndex((v, j) => !Object.is(v, copies[i][j]));
    expect(changed, `input ${i} written at ${changed}`).to.equal(-1);
  });
  return { y, dx, dw, db };
};

const randomCases = (count: number, cs: readonly number[], fs: readonly number[], ns: readonly number[], maxHW: number): Case[] =>
  Array.from({ length: count }, () => randomCase(cs, fs, ns, maxHW));

describe('conv kernels: reference', () => {
  const cases = [...edgeCases, ...randomCases(40, [1, 3, 16], [1, 5, 30], [1, 3], 11)];

  it('conv → pool fused: the convolution, then maxPool; backward routes dy to the maxima (ReLU-masked)', () => {
    for (const c of cases.slice(0, 20)) {
      const { oh, ow } = windowOutput(c.g);
      if (oh < 2 || ow < 2) continue;
      for (const relu of [false, true]) {
        const inp = inputs(c, f64);
        const full = naiveForward(c, inp.x, inp.w, inp.b).map((v) => (relu && !(v > 0) ? 0 : v));
        const pg: Window2D = { n: c.g.n, c: c.f, h: oh, w: ow, kh: 2, kw: 2, strideH: 2, strideW: 2, padH: 0, padW: 0 };
        const pooled = c.g.n * c.f * Math.floor(oh / 2) * Math.floor(ow / 2);
        const wantY = f64(pooled);
        const wantArg = new Int32Array(pooled);
        ref.maxPool({ x: full, g: pg, out: wantY, argmax: wantArg });
        const y = f64(pooled);
        const arg = new Int32Array(pooled);
        ref.conv2dPoolForward({ x: inp.x, w: inp.w, bias: inp.b, g: c.g, filters: c.f, relu, pool: 2, out: y, argmax: arg });
        close(y, wantY, 1e-12, `forward ${show(c)}`);
        expect(Array.from(arg)).to.deep.equal(Array.from(wantArg));
        const dy = randf(f64, pooled);
        const routed = f64(full.length);
        arg.forEach((at, i) => { if (!relu || y[i] > 0) routed[at] += dy[i]; });
        const want = naiveBackward(c, inp.x, inp.w, routed);
        const dx = f64(sizes(c).x);
        const dw = f64(sizes(c).w);
        const db = f64(c.f);
        ref.conv2dPoolBackward({
          x: inp.x, w: inp.w, dy, argmax: arg, reluPooled: relu ? y : undefined, g: c.g, filters: c.f, pool: 2, outDx: dx, outDw: dw, outDb: db,
        });
        close(dx, want.dx, 1e-12, `dx ${show(c)}`);
        close(dw, want.dw, 1e-12, `dW ${show(c)}`);
        close(db, want.db, 1e-12, `db ${show(c)}`);
      }
    }
  });

  it('forward equals the naive direct convolution (float64)', () => {
    for (const c of cases) {
      const inp = inputs(c, f64);
      const { y } = run(ref, c, f64, inp);
      close(y, naiveForward(c, inp.x, inp.w, inp.b), 1e-12, `forward ${show(c)}`);
    }
  });

  it('backward equals the direct formulas for dx, dW and db (float64)', () => {
    for (const c of cases) {
      const inp = inputs(c, f64);
      const got = run(ref, c, f64, inp);
      const want = naiveBackward(c, inp.x, inp.w, inp.dy);
      close(got.dx, want.dx, 1e-12, `dx ${show(c)}`);
      close(got.dw, want.dw, 1e-12, `dW ${show(c)}`);
      close(got.db, want.db, 1e-12, `db ${show(c)}`);
    }
  });

  it('backward is the gradient of ⟨dy, conv(x, W, b)⟩ (central differences)', () => {
    for (const c of cases.slice(0, 12)) {
      const inp = inputs(c, f64);
      const got = run(ref, c, f64, inp);
      const loss = (x: Float64Array, w: Float64Array, b: Float64Array): number => {
        const y = f64(sizes(c).y);
        ref.conv2dForward({ x, w, bias: b, g: c.g, filters: c.f, relu: false, out: y });
        return y.reduce((s, v, i) => s + v * inp.dy[i], 0);
      };
      const eps = 1e-5;
      const probe = (which: 'x' | 'w' | 'b', grad: Float64Array): void => {
        for (let t = 0; t < 4; t++) {
          const i = int(0, grad.length - 1);
          const plus = { x: inp.x.slice(), w: inp.w.slice(), b: inp.b.slice() };
          const minus = { x: inp.x.slice(), w: inp.w.slice(), b: inp.b.slice() };
          plus[which][i] += eps;
          minus[which][i] -= eps;
          const num = (loss(plus.x, plus.w, plus.b) - loss(minus.x, minus.w, minus.b)) / (2 * eps);
          expect(Math.abs(num - grad[i]), `d${which}[${i}] ${show(c)}: ${num} vs ${grad[i]}`).to.be.below(1e-6 * Math.max(1, Math.abs(num)));
        }
      };
      probe('x', got.dx);
      probe('w', got.dw);
      probe('b', got.db);
    }
  });

  it('skips dx without outDx', () => {
    const c = edgeCases[0];
    const inp = inputs(c, f64);
    const full = run(ref, c, f64, inp);
    const noDx = run(ref, c, f64, inp, false);
    expect(noDx.dx.length).to.equal(0);
    close(noDx.dw, full.dw, 0, 'dW without dx');
    close(noDx.db, full.db, 0, 'db without dx');
  });

  it('a fused ReLU: forward is max(0, conv), backward masks dy where the output is not positive', () => {
    for (const c of cases.slice(0, 20)) {
      const inp = inputs(c, f64);
      const plain = naiveForward(c, inp.x, inp.w, inp.b);
      const got = run(ref, c, f64, inp, true, true);
      close(got.y, plain.map((v) => (v > 0 ? v : 0)), 1e-12, `relu forward ${show(c)}`);
      const masked = inp.dy.map((d, i) => (plain[i] > 0 ? d : 0));
      const want = naiveBackward(c, inp.x, inp.w, masked);
      close(got.dx, want.dx, 1e-12, `relu dx ${show(c)}`);
      close(got.dw, want.dw, 1e-12, `relu dW ${show(c)}`);
      close(got.db, want.db, 1e-12, `relu db ${show(c)}`);
    }
  });
});

/** The book's and DeepConvNet's convolution shapes (smaller batch). */
const netCases: readonly Case[] = [
  { g: { n: 8, c: 1, h: 28, w: 28, kh: 5, kw: 5, strideH: 1, strideW: 1, padH: 0, padW: 0 }, f: 30 },
  { g: { n: 3, c: 16, h: 28, w: 28, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 }, f: 16 },
  { g: { n: 3, c: 32, h: 14, w: 14, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 2, padW: 2 }, f: 32 },
  { g: { n: 8, c: 64, h: 8, w: 8, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 }, f: 64 },
];

type Inputs32 = ReturnType<typeof inputs<Float32Array>>;
type Outputs32 = ReturnType<typeof run<Float32Array>>;
interface Expected {
  readonly inp: Inputs32;
  readonly want: Outputs32;
  readonly scale: Float64Array;
  readonly dxScale: Float64Array;
  readonly dwScale: Float64Array;
}
/** Reference results per case, shared by the four wasm backends (the reference is the slow part). */
const memo = new Map<string, Expected>();
const expected = (c: Case, withDx: boolean, relu: boolean): Expected => {
  const key = `${show(c)} ${withDx} ${relu}`;
  let hit = memo.get(key);
  if (hit === undefined) {
    const inp = inputs(c, f32);
    const want = run(ref, c, f32, inp, withDx, relu);
    const reluOut = relu ? want.y : undefined;
    hit = {
      inp, want, scale: forwardScale(c, inp), dxScale: dxScale(c, inp.x, inp.w, inp.dy, reluOut), dwScale: dwScale(c, inp.x, inp.w, inp.dy, reluOut),
    };
    memo.set(key, hit);
  }
  return hit;
};

/** Conv (+ReLU) → max pool cases: every geometry whose output fits a pool×pool window. */
const poolCases = (): { c: Case; pool: number }[] => {
  const all = [...edgeCases, ...netCases, ...randomCases(25, [1, 3, 16], [1, 5, 30], [1, 3, 8], 13)];
  return [2, 3].flatMap((pool) => all.filter(({ g }) => {
    const { oh, ow } = windowOutput(g);
    return oh >= pool && ow >= pool;
  }).map((c) => ({ c, pool })));
};

/** The fused conv → pool kernels of k against the reference on one case. */
const checkConvPool = (k: Kernels, c: Case, pool: number, relu: boolean, withDx: boolean): void => {
  const { oh, ow } = windowOutput(c.g);
  const pooled = c.g.n * c.f * Math.floor(oh / pool) * Math.floor(ow / pool);
  const inp = inputs(c, f32);
  const dy = randf(f32, pooled);
  const what = `${show(c)} pool ${pool}${relu ? ' relu' : ''}${withDx ? '' : ' no dx'}`;
  const forward = (kk: Kernels): { y: Float32Array; arg: Int32Array } => {
    const y = f32(pooled);
    const arg = new Int32Array(pooled);
    kk.conv2dPoolForward({ x: inp.x, w: inp.w, bias: inp.b, g: c.g, filters: c.f, relu, pool, out: y, argmax: arg });
    return { y, arg };
  };
  const got = forward(k);
  const want = forward(ref);
  const scale = forwardScale(c, inp).reduce((a, b) => Math.max(a, b), 0);
  closeScaled(got.y, want.y, scale, SUM_TOL, `forward ${what}`);
  // the index may differ only between near-equal maxima: it must point at the reference's maximum value
  const full = f32(sizes(c).y);
  ref.conv2dForward({ x: inp.x, w: inp.w, bias: inp.b, g: c.g, filters: c.f, relu, out: full });
  closeScaled(Array.from(got.arg, (i) => full[i]), want.y, scale, SUM_TOL, `argmax ${what}`);
  // backward on the same routing (k's argmax) for both
  const backward = (kk: Kernels): { dx: Float32Array; dw: Float32Array; db: Float32Array } => {
    const dx = f32(withDx ? sizes(c).x : 0);
    const dw = f32(sizes(c).w);
    const db = f32(c.f);
    const copies = [inp.x, inp.w, dy, got.y].map((a) => a.slice());
    const argCopy = got.arg.slice();
    kk.conv2dPoolBackward({
      x: inp.x, w: inp.w, dy, argmax: got.arg, reluPooled: relu ? got.y : undefined, g: c.g, filters: c.f, pool,
      outDx: withDx ? dx : undefined, outDw: dw, outDb: db,
    });
    [inp.x, inp.w, dy, got.y].forEach((a, i) => expect(Array.from(a), 'input unchanged').to.deep.equal(Array.from(copies[i])));
    expect(Array.from(got.arg), 'argmax unchanged').to.deep.equal(Array.from(argCopy));
    return { dx, dw, db };
  };
  const gb = backward(k);
  const wb = backward(ref);
  const routed = f32(sizes(c).y);
  got.arg.forEach((at, i) => { if (at >= 0 && (!relu || got.y[i] > 0)) routed[at] += Math.abs(dy[i]); });
  if (withDx) {
    const dxMax = dxScale(c, inp.x, inp.w, routed, undefined).reduce((a, b) => Math.max(a, b), 0);
    closeScaled(gb.dx, wb.dx, dxMax, SUM_TOL, `dx ${what}`);
  }
  closeScaled(gb.dw, wb.dw, dwScale(c, inp.x, inp.w, routed, undefined), DW_TOL, `dW ${what}`);
  close(gb.db, wb.db, 1e-4, `db ${what}`);
};

/**
 * k's fused conv → 2×2/2 pool against k's own conv then maxPool, with and without ReLU: the same
 * bits and argmax (ReLU's zeros make ties: the first maximum must win in both), also without argmax.
 */
const expectPooledAsUnfused = (k: Kernels, c: Case): void => {
  const { oh, ow } = windowOutput(c.g);
  if (oh < 2 || ow < 2) return;
  const inp = inputs(c, f32);
  for (const relu of [true, false]) {
    const full = f32(sizes(c).y);
    k.conv2dForward({ x: inp.x, w: inp.w, bias: inp.b, g: c.g, filters: c.f, relu, out: full });
    const pg: Window2D = { n: c.g.n, c: c.f, h: oh, w: ow, kh: 2, kw: 2, strideH: 2, strideW: 2, padH: 0, padW: 0 };
    const pooled = c.g.n * c.f * (oh >> 1) * (ow >> 1);
    const want = f32(pooled);
    const wantArg = new Int32Array(pooled);
    k.maxPool({ x: full, g: pg, out: want, argmax: wantArg });
    const got = f32(pooled);
    const gotArg = new Int32Array(pooled);
    k.conv2dPoolForward({ x: inp.x, w: inp.w, bias: inp.b, g: c.g, filters: c.f, relu, pool: 2, out: got, argmax: gotArg });
    const what = `${show(c)}${relu ? ' relu' : ''}`;
    expect(Array.from(gotArg), `argmax ${what}`).to.deep.equal(Array.from(wantArg));
    expect(Array.from(got).map(String), `pooled ${what}`).to.deep.equal(Array.from(want).map(String));
    const alone = f32(pooled);
    k.conv2dPoolForward({ x: inp.x, w: inp.w, bias: inp.b, g: c.g, filters: c.f, relu, pool: 2, out: alone });
    expect(Array.from(alone).map(String), `pooled without argmax ${what}`).to.deep.equal(Array.from(want).map(String));
  }
};

const describeWasm = (variant: Variant, threads: number): void => {
  describe(`conv kernels: wasm ${variant} ×${threads} vs reference`, () => {
    let k: WasmKernels;
    before(async function () {
      if (variant === 'relaxed-simd' && !hasRelaxedSimd()) this.skip();
      const loaded = loadKernels(variant);
      expect(loaded, 'wasm kernels failed to load: run npm run build').to.not.equal(undefined);
      k = createWasmKernels(loaded!, threads);
      if (threads > 1) {
        await untilThreadsReady(k);
      }
    });

    const check = (c: Case, withDx = true, relu = false): void => {
      const { inp, want, scale, dxScale: dxs, dwScale: dws } = expected(c, withDx, relu);
      const got = run(k, c, f32, inp, withDx, relu);
      closeScaled(got.y, want.y, scale, SUM_TOL, `forward ${show(c)}`);
      if (withDx) closeScaled(got.dx, want.dx, dxs, SUM_TOL, `dx ${show(c)}`);
      closeScaled(got.dw, want.dw, dws, DW_TOL, `dW ${show(c)}`);
      close(got.db, want.db, 1e-4, `db ${show(c)}`);
    };

    it('edge geometries', () => { for (const c of edgeCases) check(c); });

    it('random geometries: strides 1–3, padding 0–2, C ∈ {1,3,16}, F ∈ {1,5,30}, N ∈ {1,3,8}', () => {
      for (const c of randomCases(60, [1, 3, 16], [1, 5, 30], [1, 3, 8], 13)) check(c);
    });

    it('stride 1 (the direct kernel): F around multiples of 8, images narrower and wider than a tile', () => {
      for (const c of randomCases(40, [1, 2, 16], [1, 7, 8, 9, 16, 17], [1, 2, 5], 13)) {
        check({ ...c, g: { ...c.g, strideH: 1, strideW: 1 } });
      }
    });

    it('SimpleConvNet and DeepConvNet shapes (large enough to use both threads)', () => {
      for (const c of netCases) check(c);
    });

    it('skips dx without outDx', () => {
      for (const c of [edgeCases[3], netCases[0]]) check(c, false);
    });

    it('a fused ReLU, forward and backward', () => {
      for (const c of [...edgeCases, ...netCases]) check(c, true, true);
    });

    it('conv (+ReLU) fused with max pooling: pools 2 and 3, odd outputs, with and without dx', () => {
      poolCases().forEach(({ c, pool }, i) => checkConvPool(k, c, pool, i % 2 === 0, i % 3 !== 0));
    });

    it('the direct kernel with pooling folded in: the same bits and argmax as its own convolution then maxPool', () => {
      for (const c of directPoolCases(30)) expectPooledAsUnfused(k, c);
    });

    it('leaves float64 to the reference kernels', () => {
      const c = edgeCases[4];
      const inp = inputs(c, f64);
      const got = run(k, c, f64, inp);
      const want = run(ref, c, f64, inp);
      close(got.y, want.y, 0, 'forward');
      close(got.dx, want.dx, 0, 'dx');
      close(got.dw, want.dw, 0, 'dW');
    });
  });
};

/**
 * Stride-1 cases for the direct kernel with 2×2/2 pooling folded in (assembly/direct-pool.ts):
 * 1–3 channels (fewer than Winograd needs), filters that fill 5- and 6-filter groups or nearly,
 * odd and even outputs, padding 0–2, kernels 1–5, images from one window to wider than a tile.
 */
const directPoolCases = (count: number): Case[] => [
  netCases[0],
  ...Array.from({ length: count }, () => {
    const kh = int(1, 5);
    const kw = int(1, 5);
    const pad = int(0, 2);
    return {
      g: {
        n: int(1, 4), c: int(1, 3), h: int(Math.max(1, kh + 1 - 2 * pad), 17), w: int(Math.max(1, kw + 1 - 2 * pad), 17),
        kh, kw, strideH: 1, strideW: 1, padH: pad, padW: pad,
      },
      f: pick([5, 6, 10, 11, 12, 18, 30]),
    };
  }),
];

/** Whether Winograd computes this case's weight gradient: 3×3 stride 1, C·F ≥ 16 (C + F) (assembly/winograd-weights.ts). */
const winogradWeights = (c: Case): boolean =>
  c.g.kh === 3 && c.g.kw === 3 && c.g.strideH === 1 && c.g.strideW === 1 && c.g.c * c.f >= 16 * (c.g.c + c.f);

/** Random 3×3 stride-1 cases for Winograd: channels and filters off the SIMD widths, group tails, tiny images. */
const winogradCases = (count: number): Case[] => Array.from({ length: count }, () => {
  const pad = int(0, 3);
  return {
    g: {
      n: int(1, 7), c: pick([4, 5, 8, 16, 17, 33, 64]), h: int(Math.max(1, 3 - 2 * pad), 19), w: int(Math.max(1, 3 - 2 * pad), 19),
      kh: 3, kw: 3, strideH: 1, strideW: 1, padH: pad, padW: pad,
    },
    f: pick([1, 3, 4, 8, 9, 16, 30, 64]),
  };
});

for (const variant of ['relaxed-simd', 'simd'] as const) {
  describe(`Winograd F(4×4, 3×3) forward, dx and dW: wasm ${variant}`, () => {
    let on: WasmKernels;
    let off: WasmKernels;
    before(function () {
      if (variant === 'relaxed-simd' && !hasRelaxedSimd()) this.skip();
      on = createWasmKernels(loadKernels(variant)!, 1, { winograd: true });
      off = createWasmKernels(loadKernels(variant)!, 1, { winograd: false });
    });

    it('matches the float64 convolution within 2e-5 of the sums\' scale, with and without ReLU and pooling', () => {
      winogradCases(40).forEach((c, i) => {
        const inp = inputs(c, f32);
        const relu = i % 2 === 0;
        const want = f64(sizes(c).y);
        ref.conv2dForward({
          x: Float64Array.from(inp.x), w: Float64Array.from(inp.w), bias: Float64Array.from(inp.b), g: c.g, filters: c.f, relu, out: want,
        });
        const y = f32(sizes(c).y);
        on.conv2dForward({ x: inp.x, w: inp.w, bias: inp.b, g: c.g, filters: c.f, relu, out: y });
        closeScaled(y, want, forwardScale(c, inp), SUM_TOL, `winograd ${show(c)}${relu ? ' relu' : ''}`);
        const dx = f32(sizes(c).x);
        on.conv2dBackward({ x: inp.x, w: inp.w, dy: inp.dy, g: c.g, filters: c.f, outDx: dx, outDw: f32(sizes(c).w), outDb: f32(c.f) });
        const wantDx = f64(sizes(c).x);
        ref.conv2dBackward({
          x: Float64Array.from(inp.x), w: Float64Array.from(inp.w), dy: Float64Array.from(inp.dy), g: c.g, filters: c.f,
          outDx: wantDx, outDw: f64(sizes(c).w), outDb: f64(c.f),
        });
        closeScaled(dx, wantDx, dxScale(c, inp.x, inp.w, inp.dy, undefined), SUM_TOL, `winograd dx ${show(c)}`);
        const { oh, ow } = windowOutput(c.g);
        if (oh >= 2 && ow >= 2) checkConvPool(on, c, 2, relu, false);
      });
    });

    it('pools 2×2 as it folds: the same bits and argmax as its own convolution then maxPool, also without argmax', () => {
      for (const c of [...winogradCases(30), ...netCases.filter((nc) => nc.g.kh === 3)]) expectPooledAsUnfused(on, c);
    });

    it('weight gradient: matches float64 within 1e-5 of Σ|dy·x|, over several flushes, with a fused ReLU and pooling', () => {
      const cases: Case[] = [
        ...winogradCases(10).map((c) => ({ ...c, g: { ...c.g, c: pick([32, 33, 64]) }, f: pick([32, 40, 64]) })),
        // 17 images of 8×8: more than one flush of 16 images; one 4×4 image; odd sizes and wide padding
        { g: { n: 17, c: 32, h: 8, w: 8, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 }, f: 33 },
        { g: { n: 1, c: 32, h: 4, w: 4, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 2, padW: 2 }, f: 32 },
        { g: { n: 3, c: 48, h: 9, w: 13, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 0, padW: 3 }, f: 40 },
      ];
      cases.forEach((c, i) => {
        expect(winogradWeights(c), show(c)).to.equal(true);
        const inp = inputs(c, f32);
        const relu = i % 2 === 0;
        const y = f32(sizes(c).y);
        on.conv2dForward({ x: inp.x, w: inp.w, bias: inp.b, g: c.g, filters: c.f, relu, out: y });
        const reluOut = relu ? y : undefined;
        const dw = f32(sizes(c).w);
        on.conv2dBackward({ x: inp.x, w: inp.w, dy: inp.dy, g: c.g, filters: c.f, reluOutput: reluOut, outDw: dw, outDb: f32(c.f) });
        const want = f64(sizes(c).w);
        ref.conv2dBackward({
          x: Float64Array.from(inp.x), w: Float64Array.from(inp.w), dy: Float64Array.from(inp.dy), g: c.g, filters: c.f,
          reluOutput: reluOut && Float64Array.from(reluOut), outDw: want, outDb: f64(c.f),
        });
        closeScaled(dw, want, dwScale(c, inp.x, inp.w, inp.dy, reluOut), DW_TOL, `winograd dW ${show(c)}${relu ? ' relu' : ''}`);
        const { oh, ow } = windowOutput(c.g);
        if (oh >= 2 && ow >= 2) checkConvPool(on, c, 2, relu, i % 3 === 0);
      });
    });

    it('runs where it pays (3×3 with 4+ channels, dx with 4+ filters, dW with C·F ≥ 16 (C + F): bits differ from the direct kernel\'s) and not elsewhere', () => {
      for (const c of netCases) {
        const inp = inputs(c, f32);
        const [a, b] = [on, off].map((k) => {
          const y = f32(sizes(c).y);
          const dx = f32(sizes(c).x);
          k.conv2dForward({ x: inp.x, w: inp.w, bias: inp.b, g: c.g, filters: c.f, relu: true, out: y });
          const dw = f32(sizes(c).w);
          k.conv2dBackward({ x: inp.x, w: inp.w, dy: inp.dy, g: c.g, filters: c.f, outDx: dx, outDw: dw, outDb: f32(c.f) });
          return { y, dx, dw };
        });
        const differs = (p: Float32Array, q: Float32Array): boolean => p.some((v, j) => !Object.is(v, q[j]));
        expect(differs(a.y, b.y), `winograd forward ran for ${show(c)}`).to.equal(c.g.kh === 3 && c.g.c >= 4);
        expect(differs(a.dx, b.dx), `winograd dx ran for ${show(c)}`).to.equal(c.g.kh === 3 && c.f >= 4);
        expect(differs(a.dw, b.dw), `winograd dW ran for ${show(c)}`).to.equal(winogradWeights(c));
        closeScaled(b.y, a.y, forwardScale(c, inp), SUM_TOL, `direct vs winograd ${show(c)}`);
        closeScaled(b.dx, a.dx, dxScale(c, inp.x, inp.w, inp.dy, undefined), SUM_TOL, `direct vs winograd dx ${show(c)}`);
      }
    });
  });
}

describe('maxPool (wasm, four windows per SIMD step) vs reference', () => {
  it('random geometries (a quarter 2×2 with stride 2), ties and NaNs: same maxima and same first-maximum indices', () => {
    const loaded = loadKernels();
    expect(loaded).to.not.equal(undefined);
    const k = createWasmKernels(loaded!, 1);
    for (let t = 0; t < 200; t++) {
      // every fourth case is 2×2, stride 2, no padding: the fast path (widths below and above a step of 8 columns)
      const common = t % 4 === 0;
      const kh = common ? 2 : int(1, 4);
      const kw = common ? 2 : int(1, 4);
      const padH = common ? 0 : int(0, 2);
      const padW = common ? 0 : int(0, 2);
      const g: Window2D = {
        n: int(1, 3), c: int(1, 3), h: int(Math.max(1, kh - 2 * padH), 20), w: int(Math.max(1, kw - 2 * padW), 30),
        kh, kw, strideH: common ? 2 : int(1, 3), strideW: common ? 2 : int(1, 3), padH, padW,
      };
      const { oh, ow } = windowOutput(g);
      const len = g.n * g.c * g.h * g.w;
      // small integers make ties; a few NaNs check the first-element rule
      const x = Float32Array.from({ length: len }, () => (rand() < 0.02 ? NaN : int(-3, 3)));
      const outLen = g.n * g.c * oh * ow;
      const got = f32(outLen);
      const want = f32(outLen);
      const argGot = new Int32Array(outLen);
      const argWant = new Int32Array(outLen);
      k.maxPool({ x, g, out: got, argmax: argGot });
      ref.maxPool({ x, g, out: want, argmax: argWant });
      const what = JSON.stringify(g);
      expect(Array.from(argGot), `argmax ${what}`).to.deep.equal(Array.from(argWant));
      expect(Array.from(got).map(String), `max ${what}`).to.deep.equal(Array.from(want).map(String));
    }
  });
});

describe('conv kernels: one thread or two give the same bits (the batch is cut the same way)', () => {
  it('forward, backward and the pooled pair at the network shapes', async () => {
    const loaded = loadKernels();
    expect(loaded).to.not.equal(undefined);
    const one = createWasmKernels(loaded!, 1);
    const two = createWasmKernels(loadKernels()!, 2);
    await untilThreadsReady(two);
    for (const c of netCases) {
      const { inp } = expected(c, true, true);
      const a = run(one, c, f32, inp, true, true);
      const b = run(two, c, f32, inp, true, true);
      for (const part of ['y', 'dx', 'dw', 'db'] as const) {
        expect(Array.from(b[part]), `${part} ${show(c)}`).to.deep.equal(Array.from(a[part]));
      }
      const { oh, ow } = windowOutput(c.g);
      const pooled = c.g.n * c.f * Math.floor(oh / 2) * Math.floor(ow / 2);
      const pool = (k: Kernels): Float32Array[] => {
        const y = f32(pooled);
        const arg = new Int32Array(pooled);
        k.conv2dPoolForward({ x: inp.x, w: inp.w, bias: inp.b, g: c.g, filters: c.f, relu: true, pool: 2, out: y, argmax: arg });
        const dx = f32(sizes(c).x);
        const dw = f32(sizes(c).w);
        const db = f32(c.f);
        k.conv2dPoolBackward({
          x: inp.x, w: inp.w, dy: inp.dy.subarray(0, pooled), argmax: arg, reluPooled: y, g: c.g, filters: c.f, pool: 2,
          outDx: dx, outDw: dw, outDb: db,
        });
        return [y, Float32Array.from(arg), dx, dw, db];
      };
      const pa = pool(one);
      pool(two).forEach((v, i) => expect(Array.from(v), `pooled output ${i} ${show(c)}`).to.deep.equal(Array.from(pa[i])));
    }
  });
});

describeWasm('relaxed-simd', 1);
describeWasm('relaxed-simd', 2);
describeWasm('simd', 1);
describeWasm('simd', 2);
