/**
 * The WebAssembly kernels against the reference kernels (the specification) on random inputs:
 * odd sizes, vectors, sizes that are not multiples of the GEMM tile, every transpose, strided
 * conv/pool windows. Both builds (relaxed FMA and plain SIMD) and the two-thread GEMM are
 * covered. A missing build fails here: `npm ci` builds it.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { windowOutput, type FloatArray, type Kernels, type Window2D } from '../lib/kernels/kernels.ts';
import { referenceKernels as ref } from '../lib/kernels/reference.ts';
import { loadKernels, wasmPath, type Variant } from '../lib/kernels/wasm/load.ts';
import { createWasmKernels, type WasmKernels } from '../lib/kernels/wasm/kernels.ts';
import { hasRelaxedSimd } from '../lib/kernels/wasm/detect.ts';
import { loadWasmKernels } from '../lib/kernels/wasm/index.ts';
import { setKernels } from '../lib/kernels/backend.ts';
import { softmaxCrossEntropy } from '../lib/losses.ts';
import { deepConvNetBn, simpleConvNet } from '../lib/models/convnets.ts';
import { adam } from '../lib/optim/optimizers.ts';
import { key, randint, split, uniform } from '../lib/random.ts';
import { initTrainState, trainStep } from '../lib/train/fit.ts';
import { leaves, type TreeRecord } from '../lib/tree.ts';

import { rng } from './helpers/rng.ts';
import { untilThreadsReady } from './helpers/threads.ts';
const rand = rng(12345);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const randn = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
/** Small integers, so ties (argmax, max pooling, equal) actually happen. */
const randi = (n: number): Float32Array => Float32Array.from({ length: n }, () => int(-3, 3));

/** Max |x - y| relative to max(1, |y|) elementwise; NaN must match NaN. */
const maxRelErr = (x: ArrayLike<number>, y: ArrayLike<number>): number => {
  expect(x.length).to.equal(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(y[i]) || Number.isNaN(x[i])) {
      expect(Number.isNaN(x[i]), `NaN mismatch at ${i}: ${x[i]} vs ${y[i]}`).to.equal(Number.isNaN(y[i]));
      continue;
    }
    if (x[i] === y[i]) continue;
    worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
  }
  return worst;
};
const close = (x: ArrayLike<number>, y: ArrayLike<number>, tol: number, what: string): void => {
  const err = maxRelErr(x, y);
  expect(err, `${what}: max relative error ${err}`).to.be.at.most(tol);
};
const same = (x: ArrayLike<number>, y: ArrayLike<number>, what: string): void => {
  expect(Array.from(x), what).to.deep.equal(Array.from(y));
};

/** Runs a kernel on fresh zeroed outputs for both backends; checks inputs are untouched. */
const both = <T extends FloatArray | Int32Array>(k: Kernels, inputs: readonly FloatArray[], size: number,
  make: (n: number) => T, call: (kk: Kernels, out: T) => void): [T, T] => {
  const copies = inputs.map((x) => x.slice());
  const got = make(size);
  const want = make(size);
  call(k, got);
  call(ref, want);
  inputs.forEach((x, i) => same(x, copies[i], 'input unchanged'));
  return [got, want];
};
const f32 = (n: number): Float32Array => new Float32Array(n);

const geometries: readonly Window2D[] = [
  { n: 2, c: 3, h: 7, w: 5, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
  { n: 1, c: 2, h: 9, w: 11, kh: 3, kw: 2, strideH: 2, strideW: 2, padH: 1, padW: 0 },
  { n: 3, c: 1, h: 28, w: 28, kh: 5, kw: 5, strideH: 1, strideW: 1, padH: 0, padW: 0 },
  { n: 2, c: 4, h: 6, w: 6, kh: 2, kw: 2, strideH: 2, strideW: 2, padH: 0, padW: 0 },
  { n: 1, c: 2, h: 8, w: 7, kh: 3, kw: 3, strideH: 2, strideW: 3, padH: 2, padW: 2 },
  { n: 2, c: 1, h: 4, w: 4, kh: 5, kw: 5, strideH: 1, strideW: 1, padH: 2, padW: 2 },
  { n: 1, c: 3, h: 5, w: 3, kh: 1, kw: 1, strideH: 1, strideW: 1, padH: 0, padW: 0 },
  { n: 1, c: 1, h: 3, w: 3, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 3, padW: 3 },
];
const sizes = (g: Window2D): { inLen: number; colLen: number; poolLen: number } => {
  const { oh, ow } = windowOutput(g);
  return { inLen: g.n * g.c * g.h * g.w, colLen: g.n * oh * ow * g.c * g.kh * g.kw, poolLen: g.n * g.c * oh * ow };
};

const gemmShapes: ReadonlyArray<readonly [number, number, number]> = [
  [1, 1, 1], [1, 17, 9], [19, 1, 7], [1, 1, 300], [7, 9, 5], [6, 8, 256], [5, 8, 4], [13, 17, 300],
  [64, 64, 64], [130, 20, 513], [3, 2100, 3], [121, 33, 1], [100, 10, 50], [31, 250, 31],
];

const describeVariant = (variant: Variant): void => {
  describe(`wasm kernels (${variant})`, () => {
    let k: WasmKernels;
    before(function () {
      if (variant === 'relaxed-simd' && !hasRelaxedSimd()) this.skip(); // runtime without relaxed SIMD
      expect(existsSync(wasmPath(variant)), `${wasmPath(variant)} is missing: run npm run build`).to.equal(true);
      const loaded = loadKernels(variant);
      expect(loaded, 'wasm kernels failed to load').to.not.equal(undefined);
      k = createWasmKernels(loaded!, 1);
    });

    it('names its variant', () => {
      expect(k.name).to.equal(`wasm-${variant}`);
    });

    it('gemm: every transpose, odd and tile-straddling shapes', () => {
      for (const [m, n, kk] of gemmShapes) {
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const a = randn(m * kk);
          const b = randn(kk * n);
          const [got, want] = both(k, [a, b], m * n, f32, (kern, out) => kern.gemm({ transA: ta, transB: tb, m, n, k: kk, a, b, out }));
          close(got, want, 1e-4, `gemm ${m}×${n}×${kk} transA=${ta} transB=${tb}`);
        }
      }
    });

    it('gemm: k = 0 gives zeros', () => {
      const out = f32(6).fill(7);
      k.gemm({ transA: false, transB: false, m: 2, n: 3, k: 0, a: f32(0), b: f32(0), out });
      same(out, f32(6), 'k = 0');
    });

    it('unary: every op, special values included', () => {
      const specials = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-30, -1e-30, 88, -88, 100, -100, 1e-39, -1e-39, 1.4e-45, 2 ** -126, -(2 ** -126)];
      const ops = ['neg', 'abs', 'exp', 'log', 'sqrt', 'square', 'reciprocal', 'sign', 'relu', 'sigmoid', 'tanh', 'step', 'flushSubnormal'] as const;
      for (const len of [1, 3, 4, 17, 1000]) {
        const x = Float32Array.from([...randn(len, 5), ...specials]);
        for (const op of ops) {
          const [got, want] = both(k, [x], x.length, f32, (kern, out) => kern.unary(op, x, out));
          close(got, want, 2e-6, `unary ${op}`);
        }
      }
    });

    it('binary: broadcasting, transposed strides and every op', () => {
      const ops = ['add', 'sub', 'mul', 'div', 'max', 'min', 'pow', 'greater', 'equal'] as const;
      for (let trial = 0; trial < 60; trial++) {
        const rank = int(0, 4);
        const shape = Array.from({ length: rank }, () => int(1, 6));
        const operand = (): { data: Float32Array; strides: number[] } => {
          // each axis is either present or broadcast; optionally stored transposed
          const dims = shape.map((d) => (rand() < 0.3 ? 1 : d));
          const order = dims.map((_, i) => i);
          if (rand() < 0.3) order.reverse();
          const strides = new Array<number>(rank).fill(0);
          let s = 1;
          for (let i = order.length - 1; i >= 0; i--) { strides[order[i]] = dims[order[i]] === 1 ? 0 : s; s *= dims[order[i]]; }
          return { data: trial % 2 === 0 ? randn(s, 3) : randi(s), strides };
        };
        const a = operand();
        const b = operand();
        const size = shape.reduce((p, d) => p * d, 1);
        for (const op of ops) {
          const [got, want] = both(k, [a.data, b.data], size, f32,
            (kern, out) => kern.binary({ op, a: a.data, aStrides: a.strides, b: b.data, bStrides: b.strides, outShape: shape, out }));
          close(got, want, 2e-6, `binary ${op} ${JSON.stringify(shape)} a${JSON.stringify(a.strides)} b${JSON.stringify(b.strides)}`);
        }
      }
    });

    it('scaleShift, addRowVector, sumRows, reluBackward', () => {
      for (const [rows, cols] of [[1, 1], [1, 7], [9, 1], [13, 10], [100, 33], [4, 64]] as const) {
        const x = randn(rows * cols, 4);
        const dy = randn(rows * cols);
        const bias = randn(cols);
        for (const [s, t] of [[0.5, -1.25], [0, 3], [-2, 0]] as const) {
          const [got, want] = both(k, [x], x.length, f32, (kern, out) => kern.scaleShift(x, s, t, out));
          close(got, want, 1e-6, 'scaleShift');
        }
        const [ar, aw] = both(k, [x, bias], x.length, f32, (kern, out) => kern.addRowVector(x, bias, rows, cols, out));
        same(ar, aw, 'addRowVector');
        const [sr, sw] = both(k, [x], cols, f32, (kern, out) => kern.sumRows(x, rows, cols, out));
        same(sr, sw, 'sumRows');
        const [rr, rw] = both(k, [x, dy], x.length, f32, (kern, out) => kern.reluBackward(x, dy, out));
        same(rr, rw, 'reluBackward');
      }
    });

    it('decodeRows: each value the table\'s own bits, rows in any order, in one call or many', () => {
      const table = randn(256, 3);
      // a NaN with a payload: copied as bits, never canonicalised
      new Uint32Array(table.buffer)[7] = 0x7fa00001;
      const bits = new Uint32Array(table.buffer);
      for (const [count, rowBytes] of [[0, 784], [1, 1], [7, 3], [100, 784], [5, 5], [600, 784]] as const) {
        // an odd byte offset, so rows start anywhere in a word
        const bytes = Uint8Array.from({ length: count * rowBytes + 1 }, (_, i) => (i * 37 + (i >> 3)) % 256).subarray(1);
        const rows = Int32Array.from({ length: count + 2 }, (_, i) => (i * 7919) % Math.max(1, count));
        const got = new Float32Array(rows.length * rowBytes);
        k.decodeRows({ bytes, rowBytes, rows: count === 0 ? [] : rows, table, out: count === 0 ? new Float32Array(0) : got });
        if (count === 0) continue;
        const want = new Uint32Array(got.length);
        rows.forEach((r, i) => { for (let j = 0; j < rowBytes; j++) want[i * rowBytes + j] = bits[bytes[r * rowBytes + j]]; });
        expect(Array.from(new Uint32Array(got.buffer)), `${rows.length} rows of ${rowBytes}`).to.deep.equal(Array.from(want));
      }
    });

    it('decodeRows refuses a row outside the bytes', () => {
      const bytes = new Uint8Array(12);
      expect(() => k.decodeRows({ bytes, rowBytes: 4, rows: [0, 3], table: new Float32Array(256), out: new Float32Array(8) })).to.throw(/row 3 is outside the 3 rows/);
    });

    it('reduce, argmax and softmax over [outer, len, inner]', () => {
      for (const [outer, len, inner] of [[1, 1, 1], [1, 9, 1], [3, 7, 1], [2, 5, 3], [4, 1, 6], [1, 30, 9], [5, 3, 8], [100, 10, 1]] as const) {
        for (const x of [randn(outer * len * inner, 10), randi(outer * len * inner)]) {
          for (const op of ['sum', 'max', 'min'] as const) {
            const [got, want] = both(k, [x], outer * inner, f32, (kern, out) => kern.reduce(op, x, outer, len, inner, out));
            close(got, want, 1e-6, `reduce ${op} ${outer}×${len}×${inner}`);
          }
          const [ag, aw] = both(k, [x], outer * inner, (n) => new Int32Array(n), (kern, out) => kern.argmax(x, outer, len, inner, out));
          same(ag, aw, `argmax ${outer}×${len}×${inner}`);
          const [sg, sw] = both(k, [x], x.length, f32, (kern, out) => kern.softmax(x, outer * inner, len, out));
          close(sg, sw, 1e-6, 'softmax');
        }
      }
    });

    it('adam', () => {
      for (const n of [1, 5, 64, 1001]) {
        const g = randn(n);
        const m = randn(n, 0.1);
        const v = Float32Array.from(randn(n, 0.01), Math.abs);
        const step = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: -0.001 * Math.sqrt(1 - 0.999 ** 3) / (1 - 0.9 ** 3) };
        const params = randn(n);
        for (const p of [undefined, params]) {
          const outs = (kern: Kernels): Float32Array[] => {
            const o = [f32(n), f32(n), f32(n)];
            kern.adam({ g, m, v, step, params: p, outM: o[0], outV: o[1], outUpdate: o[2] });
            return o;
          };
          const got = outs(k);
          const want = outs(ref);
          got.forEach((x, i) => close(x, want[i], 1e-5, `adam output ${i}${p !== undefined ? ' with params' : ''}`));
        }
      }
    });

    it('im2col and col2im: strides, padding, non-square windows', () => {
      for (const g of geometries) {
        const { inLen, colLen } = sizes(g);
        const x = randn(inLen);
        const [cg, cw] = both(k, [x], colLen, f32, (kern, out) => kern.im2col(x, g, out));
        same(cg, cw, `im2col ${JSON.stringify(g)}`);
        const cols = randn(colLen);
        const [ig, iw] = both(k, [cols], inLen, f32, (kern, out) => kern.col2im(cols, g, out));
        close(ig, iw, 1e-6, `col2im ${JSON.stringify(g)}`);
      }
    });

    it('max and average pooling, forward and backward', () => {
      for (const g of geometries) {
        const { inLen, poolLen } = sizes(g);
        for (const x of [randn(inLen), randi(inLen)]) {
          const argGot = new Int32Array(poolLen);
          const argWant = new Int32Array(poolLen);
          const [pg, pw] = both(k, [x], poolLen, f32, (kern, out) => kern.maxPool({ x, g, out, argmax: kern === ref ? argWant : argGot }));
          same(pg, pw, `maxPool ${JSON.stringify(g)}`);
          same(argGot, argWant, `maxPool argmax ${JSON.stringify(g)}`);
          const dy = randn(poolLen);
          const [bg, bw] = both(k, [dy], inLen, f32, (kern, out) => kern.maxPoolBackward(dy, argWant, out));
          close(bg, bw, 1e-6, 'maxPoolBackward');
          const [ag, aw] = both(k, [x], poolLen, f32, (kern, out) => kern.avgPool(x, g, out));
          close(ag, aw, 1e-6, `avgPool ${JSON.stringify(g)}`);
          const [abg, abw] = both(k, [dy], inLen, f32, (kern, out) => kern.avgPoolBackward(dy, g, out));
          close(abg, abw, 1e-6, `avgPoolBackward ${JSON.stringify(g)}`);
        }
      }
    });

    it('batch norm backward in one call: against the reference, and gated = on the masked gradient, bit for bit', () => {
      const views: ReadonlyArray<readonly [number, number, number]> = [[1, 1, 1], [4, 3, 1], [2, 3, 5], [3, 2, 49], [2, 16, 784], [5, 1, 2]];
      for (const [n, c, inner] of views) {
        const size = n * c * inner;
        const x = Float32Array.from(randn(size, 2), (v) => v + 3);
        const dy = randn(size);
        const mean = randn(c);
        const std = Float32Array.from(randn(c), (v) => 0.5 + Math.abs(v));
        const gamma = randn(c);
        const gate = Float32Array.from(randn(size, 3), (v, i) => (i % 7 === 3 ? Number.NaN : i % 5 === 1 ? 0 : v));
        const masked = f32(size);
        k.reluBackward(gate, dy, masked);
        for (const train of [true, false]) {
          const what = `[${n}, ${c}, ${inner}] ${train ? 'train' : 'inference'}`;
          const run = (kern: Kernels, d: Float32Array, g: Float32Array | undefined): Float32Array[] => {
            const outs = [f32(size), f32(c), f32(c)];
            kern.batchNormBackward({ dy: d, gate: g, x, mean, std, gamma, n, c, inner, train, outDx: outs[0], outDgamma: outs[1], outDbeta: outs[2] });
            return outs;
          };
          for (const [d, g, label] of [[dy, undefined, 'plain'], [dy, gate, 'gated']] as const) {
            const got = run(k, d, g);
            const want = run(ref, d, g);
            ['dx', 'dgamma', 'dbeta'].forEach((name, i) => close(got[i], want[i], 2e-5, `${label} ${name} ${what}`));
          }
          const gated = run(k, dy, gate);
          const onMasked = run(k, masked, undefined);
          ['dx', 'dgamma', 'dbeta'].forEach((name, i) => same(gated[i], onMasked[i], `gated = masked, ${name} ${what}`));
        }
      }
    });

    it('channel moments, sums and affine maps over [n, c, inner], odd and unit sizes', () => {
      const views: ReadonlyArray<readonly [number, number, number]> = [
        [1, 1, 1], [4, 3, 1], [100, 7, 1], [2, 3, 5], [3, 2, 49], [2, 16, 784], [1, 5, 3], [5, 1, 2],
      ];
      for (const [n, c, inner] of views) {
        const size = n * c * inner;
        const what = `[${n}, ${c}, ${inner}]`;
        // an offset mean, so the two-pass variance is actually tested against cancellation
        const x = Float32Array.from(randn(size, 2), (v) => v + 50);
        const y = randn(size);
        const sx = randn(c);
        const sy = randn(c);
        const shift = randn(c);
        const [mg, mw] = both(k, [x], c, f32, (kern, out) => kern.channelMoments({ x, n, c, inner, outMean: out, outVar: f32(c) }));
        close(mg, mw, 1e-6, `channelMoments mean ${what}`);
        const [vg, vw] = both(k, [x], c, f32, (kern, out) => kern.channelMoments({ x, n, c, inner, outMean: f32(c), outVar: out }));
        close(vg, vw, 1e-5, `channelMoments variance ${what}`);
        const [sg, sw] = both(k, [x, y], c, f32, (kern, out) => kern.channelSums({ x, y, n, c, inner, outSum: out, outDot: f32(c) }));
        close(sg, sw, 1e-6, `channelSums sum ${what}`);
        const [dg, dw] = both(k, [x, y], c, f32, (kern, out) => kern.channelSums({ x, y, n, c, inner, outSum: f32(c), outDot: out }));
        close(dg, dw, 1e-6, `channelSums dot ${what}`);
        const [s1g, s1w] = both(k, [y], c, f32, (kern, out) => kern.channelSums({ x: y, n, c, inner, outSum: out }));
        close(s1g, s1w, 1e-6, `channelSums without y ${what}`);
        for (const relu of [false, true]) {
          const [ag, aw] = both(k, [x, sx, shift], size, f32, (kern, out) => kern.channelAffine({ x, sx, shift, n, c, inner, relu, out }));
          close(ag, aw, 1e-6, `channelAffine relu ${relu} ${what}`);
          const [a2g, a2w] = both(k, [x, sx, y, sy, shift], size, f32, (kern, out) => kern.channelAffine({ x, sx, y, sy, shift, n, c, inner, relu, out }));
          close(a2g, a2w, 1e-6, `channelAffine with y, relu ${relu} ${what}`);
          if (relu) {
            // the same bits as the affine map followed by unary relu
            const plain = f32(size);
            k.channelAffine({ x, sx, y, sy, shift, n, c, inner, relu: false, out: plain });
            const relued = f32(size);
            k.unary('relu', plain, relued);
            same(a2g, relued, `fused relu = affine then relu ${what}`);
          }
        }
        // gated by a ReLU's output (zeros, negatives, NaN where the gate is shut): against the
        // reference, and bit for bit against the sums and map of reluBackward(gate, y)
        const gate = Float32Array.from(randn(size, 3), (v, i) => (i % 7 === 3 ? Number.NaN : i % 5 === 1 ? 0 : v));
        const masked = f32(size);
        k.reluBackward(gate, y, masked);
        const [gsg, gsw] = both(k, [y, gate, x], c, f32, (kern, out) => kern.channelSums({ x: y, gate, y: x, n, c, inner, outSum: out, outDot: f32(c) }));
        close(gsg, gsw, 1e-6, `gated channelSums sum ${what}`);
        const [gdg, gdw] = both(k, [y, gate, x], c, f32, (kern, out) => kern.channelSums({ x: y, gate, y: x, n, c, inner, outSum: f32(c), outDot: out }));
        close(gdg, gdw, 1e-6, `gated channelSums dot ${what}`);
        const [sums, dots, maskedSums, maskedDots] = [f32(c), f32(c), f32(c), f32(c)];
        k.channelSums({ x: y, gate, y: x, n, c, inner, outSum: sums, outDot: dots });
        k.channelSums({ x: masked, y: x, n, c, inner, outSum: maskedSums, outDot: maskedDots });
        same(sums, maskedSums, `gated sums = sums of the masked gradient ${what}`);
        same(dots, maskedDots, `gated dots = dots of the masked gradient ${what}`);
        for (const [withY, label] of [[true, 'with x'], [false, 'without x']] as const) {
          const onX = withY ? { y: x, sy } : {};
          const [gag, gaw] = both(k, [y, gate, sx, ...(withY ? [x, sy] : []), shift], size, f32,
            (kern, out) => kern.channelAffine({ x: y, gate, sx, ...onX, shift, n, c, inner, relu: false, out }));
          close(gag, gaw, 1e-6, `gated channelAffine ${label} ${what}`);
          const plainMap = f32(size);
          k.channelAffine({ x: masked, sx, ...onX, shift, n, c, inner, relu: false, out: plainMap });
          same(gag, plainMap, `gated map = map of the masked gradient, ${label} ${what}`);
        }
      }
    });

    it('delegates float64 work to the reference kernels', () => {
      const a = Float64Array.from(randn(12));
      const b = Float64Array.from(randn(12));
      const got = new Float64Array(9);
      const want = new Float64Array(9);
      k.gemm({ transA: false, transB: true, m: 3, n: 3, k: 4, a, b, out: got });
      ref.gemm({ transA: false, transB: true, m: 3, n: 3, k: 4, a, b, out: want });
      same(got, want, 'float64 gemm');
    });
  });
};

describeVariant('relaxed-simd');
describeVariant('simd');

const randn15 = randn(15);
const randn21 = randn(21);

describe('wasm kernels: memory and threads', () => {
  it('reuses its scratch memory instead of growing per call', () => {
    const loaded = loadKernels();
    expect(loaded).to.not.equal(undefined);
    const k = createWasmKernels(loaded!, 1);
    const a = randn(200 * 300);
    const round = (): void => {
      const out = f32(200 * 200);
      k.gemm({ transA: false, transB: true, m: 200, n: 200, k: 300, a, b: a, out });
      k.unary('relu', out, f32(out.length)); // reads the kept output
      k.unary('exp', a, f32(a.length));
    };
    round();
    round();
    const size = loaded!.memory.buffer.byteLength;
    for (let i = 0; i < 20; i++) round();
    expect(loaded!.memory.buffer.byteLength).to.equal(size);
  });

  it('reads the previous output from its kept copy, with the same results as copying it in', () => {
    const loaded = loadKernels();
    const k = createWasmKernels(loaded!, 1);
    const x = randn(30001);
    const y = f32(x.length);
    k.unary('tanh', x, y);
    const chained = f32(x.length);
    k.binary({ op: 'mul', a: y, aStrides: [1], b: y, bStrides: [1], outShape: [x.length], out: chained }); // both operands are the kept output
    const want = f32(x.length);
    ref.binary({ op: 'mul', a: Float32Array.from(y), aStrides: [1], b: Float32Array.from(y), bStrides: [1], outShape: [x.length], out: want });
    same(chained, want, 'mul of the kept output with itself');
  });

  it('copies in an array it did not hand out, however much it looks like a kept output', () => {
    const k = createWasmKernels(loadKernels()!, 1);
    const x = randn(10000);
    for (const at of [0, 5000, 9999]) {
      const y = f32(x.length);
      k.unary('abs', x, y);
      const lookalike = Float32Array.from(y); // same length, same values but one: a fresh array
      lookalike[at] = -7;
      const out = f32(x.length);
      k.unary('neg', lookalike, out);
      expect(out[at], `element ${at}`).to.equal(7);
      same(out, Float32Array.from(lookalike, (v) => -v), 'neg of the look-alike');
    }
  });

  it('reads a kept output from its copy even if it was written after the call (forbidden; not guarded)', () => {
    // Tensors offer no writable view (ReadonlyFloatArray); writing through unsafeMutableData is the
    // writer's own unsafe act, and the arena goes by identity alone: the write is not seen.
    const k = createWasmKernels(loadKernels()!, 1);
    const x = randn(10000);
    const y = f32(x.length);
    k.unary('abs', x, y);
    const before = y[5000];
    y[5000] = -7;
    const out = f32(x.length);
    k.unary('neg', y, out);
    expect(out[5000]).to.equal(-before);
  });

  it('leaves a kept dy as it was after a conv backward with a fused ReLU', () => {
    const k = createWasmKernels(loadKernels()!, 1);
    const g: Window2D = { n: 4, c: 3, h: 12, w: 12, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 };
    const filters = 8;
    const outLen = g.n * filters * g.h * g.w;
    const base = randn(outLen);
    const dy = f32(outLen);
    k.unary('neg', base, dy); // dy is now a kept output, read in place below (a masking would show)
    const reluOutput = Float32Array.from(randn(outLen), (v) => Math.max(0, v));
    k.conv2dBackward({
      x: randn(g.n * g.c * g.h * g.w), w: randn(filters * g.c * 9), dy, g, filters, reluOutput,
      outDx: f32(g.n * g.c * g.h * g.w), outDw: f32(filters * g.c * 9), outDb: f32(filters),
    });
    const back = f32(outLen);
    k.unary('neg', dy, back);
    same(back, base, 'dy read again after the masked backward');
  });

  it('trains to the same bits with outputs kept in a small ring as with every input copied in', () => {
    const nets = [simpleConvNet({ filters: 6, hidden: 20 }), deepConvNetBn({ hidden: 20 })];
    for (const net of nets) {
      const model = { net, loss: softmaxCrossEntropy };
      const opt = adam(0.01);
      const step = trainStep(model, opt);
      const run = (residentBytes: number): TreeRecord => {
        const previous = setKernels(createWasmKernels(loadKernels()!, 1, { residentBytes }));
        try {
          let s = initTrainState(model, opt, key(3), [1, 28, 28]);
          for (let i = 0; i < 3; i++) {
            const [kx, ky] = split(key(10 + i), 2);
            s = step(s, { x: uniform(kx, [8, 1, 28, 28]), labels: randint(ky, 8, 0, 10) }).state;
          }
          return s.params;
        } finally {
          setKernels(previous);
        }
      };
      const copied = leaves(run(0));
      const kept = leaves(run(128 * 1024)); // small: the ring wraps and grows during the steps
      expect(kept.map(([path]) => path)).to.deep.equal(copied.map(([path]) => path));
      kept.forEach(([path, t], i) => same(t.data, copied[i][1].data, `${net.name} ${path}`));
    }
  });

  it('stops growing its memory after the first training steps, with a small ring or the default one', () => {
    const model = { net: simpleConvNet({ filters: 6, hidden: 20 }), loss: softmaxCrossEntropy };
    const opt = adam(0.01);
    const step = trainStep(model, opt);
    for (const residentBytes of [128 * 1024, undefined]) {
      const loaded = loadKernels()!;
      const previous = setKernels(createWasmKernels(loaded, 1, residentBytes === undefined ? {} : { residentBytes }));
      try {
        let s = initTrainState(model, opt, key(3), [1, 28, 28]);
        const train = (steps: number): void => {
          for (let i = 0; i < steps; i++) {
            const [kx, ky] = split(key(100 + s.step), 2);
            s = step(s, { x: uniform(kx, [16, 1, 28, 28]), labels: randint(ky, 16, 0, 10) }).state;
          }
        };
        train(2);
        const warm = loaded.memory.buffer.byteLength;
        train(8);
        expect(loaded.memory.buffer.byteLength, `ring of ${residentBytes ?? 'default'} bytes`).to.equal(warm);
      } finally {
        setKernels(previous);
      }
    }
  });

  it('splits large GEMMs over a helper thread with the same results', async () => {
    const loaded = loadKernels();
    const k = createWasmKernels(loaded!, 2);
    await untilThreadsReady(k);
    for (const [m, n, kk] of [[300, 200, 100], [97, 301, 129], [1000, 7, 60], [5, 900, 70]] as const) {
      for (const [ta, tb] of [[false, false], [true, true], [true, false], [false, true]] as const) {
        const a = randn(m * kk);
        const b = randn(kk * n);
        const [got, want] = both(k, [a, b], m * n, f32, (kern, out) => kern.gemm({ transA: ta, transB: tb, m, n, k: kk, a, b, out }));
        close(got, want, 1e-4, `threaded gemm ${m}×${n}×${kk} ${ta} ${tb}`);
      }
    }
  });

  it('splits large Adam updates over the helper thread with the same bits as one thread', async () => {
    const two = createWasmKernels(loadKernels()!, 2);
    const one = createWasmKernels(loadKernels()!, 1);
    await untilThreadsReady(two);
    for (const n of [65536, 65539, 100_003]) {
      const g = randn(n);
      const m = randn(n, 0.1);
      const v = Float32Array.from(randn(n, 0.01), Math.abs);
      const step = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: -0.001 };
      for (const p of [undefined, randn(n)]) {
        const outs = (kern: Kernels): Float32Array[] => {
          const o = [f32(n), f32(n), f32(n)];
          kern.adam({ g, m, v, step, params: p, outM: o[0], outV: o[1], outUpdate: o[2] });
          return o;
        };
        const [a, b] = [outs(two), outs(one)];
        a.forEach((o, i) => same(o, b[i], `adam n=${n} params=${p !== undefined} output ${i}`));
        close(a[2], outs(ref)[2], 1e-5, `adam n=${n} against the reference`);
      }
    }
  });

  it('writes every element of its outputs, wasm and reference alike, so unzeroed output buffers are safe', () => {
    const loaded = loadKernels();
    const wasm = createWasmKernels(loaded!, 1);
    const g: Window2D = { n: 2, c: 3, h: 7, w: 6, kh: 3, kw: 2, strideH: 2, strideW: 1, padH: 1, padW: 1 };
    const { oh, ow } = windowOutput(g);
    const x = randn(2 * 3 * 7 * 6);
    const w = randn(4 * 3 * 3 * 2);
    const cols = randn(2 * oh * ow * 3 * 3 * 2);
    const dy = randn(2 * 4 * oh * ow);
    const gate = Float32Array.from(x, (v, i) => (i % 3 === 0 ? -v : v)); // shut where negative
    const pooled = 2 * 3 * oh * ow;
    const argmax = new Int32Array(pooled);
    wasm.maxPool({ x, g, out: f32(pooled), argmax });
    const empty: Window2D = { ...g, n: 0 };
    const step = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: -0.01 };
    const std = Float32Array.from(w.subarray(3, 6), (v) => 1 + Math.abs(v));
    const convPooled = 2 * 4 * Math.floor(oh / 2) * Math.floor(ow / 2);
    // each case fills the given outputs; they must come out the same whether they start as zeros or NaN
    const cases = (k: Kernels): readonly [string, readonly number[], (outs: Float32Array[]) => void][] => [
      ['gemm, A transposed', [35], ([o]) => k.gemm({ transA: true, transB: false, m: 5, n: 7, k: 3, a: randn15, b: randn21, out: o })],
      ['gemm', [35], ([o]) => k.gemm({ transA: false, transB: false, m: 5, n: 7, k: 3, a: randn15, b: randn21, out: o })],
      ['unary', [40], ([o]) => k.unary('tanh', x.subarray(0, 40), o)],
      ['binary', [12], ([o]) => k.binary({ op: 'sub', a: x, aStrides: [4, 1], b: w, bStrides: [0, 1], outShape: [3, 4], out: o })],
      ['scaleShift', [50], ([o]) => k.scaleShift(x.subarray(0, 50), 2, 1, o)],
      ['addRowVector', [24], ([o]) => k.addRowVector(x.subarray(0, 24), w.subarray(0, 6), 4, 6, o)],
      ['sumRows', [6], ([o]) => k.sumRows(x.subarray(0, 24), 4, 6, o)],
      ['sumRows of no rows', [6], ([o]) => k.sumRows(x.subarray(0, 0), 0, 6, o)],
      ['reluBackward', [30], ([o]) => k.reluBackward(x.subarray(0, 30), w.subarray(0, 30), o)],
      ['reduce', [12], ([o]) => k.reduce('max', x.subarray(0, 60), 3, 5, 4, o)],
      ['reduce over no elements', [12], ([o]) => k.reduce('sum', x.subarray(0, 0), 3, 0, 4, o)],
      ['softmax', [30], ([o]) => k.softmax(x.subarray(0, 30), 5, 6, o)],
      ['adam', [20, 20, 20], ([m, v, u]) => k.adam({
        g: x.subarray(0, 20), m: w.subarray(0, 20), v: Float32Array.from(w.subarray(0, 20), Math.abs), step, outM: m, outV: v, outUpdate: u,
      })],
      ['adam with params', [20, 20, 20], ([m, v, u]) => k.adam({
        g: x.subarray(0, 20), m: w.subarray(0, 20), v: Float32Array.from(w.subarray(0, 20), Math.abs), step, params: x.subarray(20, 40),
        outM: m, outV: v, outUpdate: u,
      })],
      ['im2col', [cols.length], ([o]) => k.im2col(x, g, o)],
      ['col2im', [x.length], ([o]) => k.col2im(cols, g, o)],
      ['conv2dForward', [dy.length], ([o]) => k.conv2dForward({ x, w, bias: w.subarray(0, 4), g, filters: 4, relu: true, out: o })],
      ['conv2dBackward', [x.length, w.length, 4], ([dx, dw, db]) =>
        k.conv2dBackward({ x, w, dy, g, filters: 4, outDx: dx, outDw: dw, outDb: db })],
      ['conv2dBackward of no images', [w.length, 4], ([dw, db]) =>
        k.conv2dBackward({ x: f32(0), w, dy: f32(0), g: empty, filters: 4, outDx: f32(0), outDw: dw, outDb: db })],
      ['maxPool', [pooled], ([o]) => k.maxPool({ x, g, out: o, argmax: new Int32Array(pooled) })],
      ['maxPool without argmax', [pooled], ([o]) => k.maxPool({ x, g, out: o })],
      ['maxPoolBackward', [x.length], ([o]) => k.maxPoolBackward(dy.subarray(0, pooled), argmax, o)],
      ['avgPool', [pooled], ([o]) => k.avgPool(x, g, o)],
      ['avgPoolBackward', [x.length], ([o]) => k.avgPoolBackward(dy.subarray(0, pooled), g, o)],
      ['conv2dPoolForward', [convPooled], ([o]) =>
        k.conv2dPoolForward({ x, w, bias: w.subarray(0, 4), g, filters: 4, relu: true, pool: 2, out: o, argmax: new Int32Array(o.length) })],
      ['conv2dPoolBackward', [x.length, w.length, 4], ([dx, dw, db]) => {
        const y = f32(convPooled);
        const arg = new Int32Array(convPooled);
        k.conv2dPoolForward({ x, w, bias: w.subarray(0, 4), g, filters: 4, relu: true, pool: 2, out: y, argmax: arg });
        k.conv2dPoolBackward({
          x, w, dy: dy.subarray(0, convPooled), argmax: arg, reluPooled: y, g, filters: 4, pool: 2, outDx: dx, outDw: dw, outDb: db,
        });
      }],
      ['channelMoments', [3, 3], ([m, v]) => k.channelMoments({ x, n: 2, c: 3, inner: 42, outMean: m, outVar: v })],
      ['channelSums', [3, 3], ([s, d]) => k.channelSums({ x, y: x, n: 2, c: 3, inner: 42, outSum: s, outDot: d })],
      ['channelSums gated', [3, 3], ([s, d]) => k.channelSums({ x, gate, y: x, n: 2, c: 3, inner: 42, outSum: s, outDot: d })],
      ['channelAffine', [x.length], ([o]) => k.channelAffine({
        x, sx: w.subarray(0, 3), y: x, sy: w.subarray(3, 6), shift: w.subarray(6, 9), n: 2, c: 3, inner: 42, relu: false, out: o,
      })],
      ['channelAffine with relu', [x.length], ([o]) => k.channelAffine({
        x, sx: w.subarray(0, 3), y: x, sy: w.subarray(3, 6), shift: w.subarray(6, 9), n: 2, c: 3, inner: 42, relu: true, out: o,
      })],
      ['batchNormBackward', [x.length, 3, 3], ([dx, dg, db]) => k.batchNormBackward({
        dy: x, gate, x, mean: w.subarray(0, 3), std, gamma: w.subarray(6, 9), n: 2, c: 3, inner: 42, train: true,
        outDx: dx, outDgamma: dg, outDbeta: db,
      })],
      ['channelAffine gated', [x.length], ([o]) => k.channelAffine({
        x, gate, sx: w.subarray(0, 3), y: x, sy: w.subarray(3, 6), shift: w.subarray(6, 9), n: 2, c: 3, inner: 42, relu: false, out: o,
      })],
    ];
    for (const k of [wasm, ref]) {
      for (const [name, sizes, run] of cases(k)) {
        const zeroed = sizes.map((n) => f32(n));
        const poisoned = sizes.map((n) => f32(n).fill(Number.NaN));
        run(zeroed);
        run(poisoned);
        zeroed.forEach((z, i) => same(poisoned[i], z, `${k.name} ${name} output ${i}`));
      }
    }
  });

  it('is what loadWasmKernels returns', () => {
    expect(loadWasmKernels()?.name).to.match(/^wasm-/);
  });
});
