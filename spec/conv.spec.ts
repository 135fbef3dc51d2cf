import { expect } from 'chai';
import { conv2d } from '../lib/layers/conv.ts';
import { flatten } from '../lib/layers/flatten.ts';
import { maxPool2d } from '../lib/layers/pooling.ts';
import {
  gradientCheck, inferenceCtx, trainCtx, tensor, key, normal, sequential, reluLayer, affine, type Layer, type Tensor,
} from '../lib/index.ts';

const TOL = 1e-6;

/** The definition of a convolution, one output element at a time. */
const naiveConv = (x: Tensor, W: Tensor, b: Tensor, stride: readonly [number, number], pad: readonly [number, number]): number[][][][] => {
  const [n, c, h, w] = x.shape;
  const [f, , kh, kw] = W.shape;
  const oh = Math.floor((h + 2 * pad[0] - kh) / stride[0]) + 1;
  const ow = Math.floor((w + 2 * pad[1] - kw) / stride[1]) + 1;
  const at = (t: Tensor, i: number, j: number, k: number, l: number): number =>
    t.data[((i * t.shape[1] + j) * t.shape[2] + k) * t.shape[3] + l];
  const out: number[][][][] = [];
  for (let i = 0; i < n; i++) {
    out.push([]);
    for (let o = 0; o < f; o++) {
      out[i].push([]);
      for (let y = 0; y < oh; y++) {
        out[i][o].push([]);
        for (let xo = 0; xo < ow; xo++) {
          let s = b.data[o];
          for (let ch = 0; ch < c; ch++) {
            for (let p = 0; p < kh; p++) {
              for (let q = 0; q < kw; q++) {
                const yy = y * stride[0] - pad[0] + p;
                const xx = xo * stride[1] - pad[1] + q;
                if (yy >= 0 && yy < h && xx >= 0 && xx < w) s += at(x, i, ch, yy, xx) * at(W, o, ch, p, q);
              }
            }
          }
          out[i][o][y].push(s);
        }
      }
    }
  }
  return out;
};

const flat = (a: number[][][][]): number[] => a.flat(3);

describe('conv2d', () => {
  describe('gradient check in float64', () => {
    const cases: readonly [string, Layer, readonly number[]][] = [
      ['3×3, stride 1, no padding', conv2d(3, 3) as unknown as Layer, [2, 5, 5]],
      ['3×3, stride 2, pad 1, non-square input', conv2d(4, 3, 3, { stride: 2, pad: 1 }) as unknown as Layer, [3, 7, 6]],
      ['2×3 kernel, stride [2,1], pad [1,0]', conv2d(2, 2, 3, { stride: [2, 1], pad: [1, 0] }) as unknown as Layer, [3, 5, 6]],
      ['1×1 kernel, stride 2', conv2d(5, 1, 1, { stride: 2 }) as unknown as Layer, [4, 5, 5]],
      ['5×5 with pad 2 (same size)', conv2d(2, 5, 5, { pad: 2 }) as unknown as Layer, [1, 4, 5]],
      ['conv → relu → conv → flatten → affine', sequential(conv2d(3, 3, 3, { pad: 1 }), reluLayer(), conv2d(2, 2, 2, { stride: 2 }), flatten(), affine(3)), [2, 6, 6]],
      ['fused ReLU, stride 2, pad 1', conv2d(4, 3, 3, { stride: 2, pad: 1, activation: 'relu' }) as unknown as Layer, [3, 7, 6]],
      ['conv(relu) → conv(relu) → flatten → affine', sequential(conv2d(3, 3, 3, { pad: 1, activation: 'relu' }), conv2d(2, 2, 2, { stride: 2, activation: 'relu' }), flatten(), affine(3)), [2, 6, 6]],
      ['fused 2×2 max pool, odd output (5×6 → 2×3)', conv2d(3, 3, 3, { pool: 2 }) as unknown as Layer, [2, 7, 8]],
      ['fused ReLU and 3×3 pool, pad 1', conv2d(2, 3, 3, { pad: 1, activation: 'relu', pool: 3 }) as unknown as Layer, [2, 6, 7]],
      ['conv(relu, pool 2) → conv(relu, pool 2) → affine', sequential(conv2d(3, 3, 3, { pad: 1, activation: 'relu', pool: 2 }), conv2d(2, 3, 3, { pad: 1, activation: 'relu', pool: 2 }), flatten(), affine(3)), [1, 8, 8]],
      ['sequential fusing conv(relu) → maxPool2d(2) → affine', sequential(conv2d(3, 3, 3, { pad: 1, activation: 'relu' }), maxPool2d(2), flatten(), affine(3)), [2, 6, 6]],
    ];
    for (const [name, layer, shape] of cases) {
      it(`${name}: backward matches central differences`, () => {
        const r = gradientCheck(layer, { inputShape: shape, batch: 2, seed: 3 });
        for (const [path, err] of Object.entries(r.errors)) expect(err, path).to.be.below(TOL);
      });
    }
  });

  describe('behaviour', () => {
    const check = (c: number, h: number, w: number, f: number, kh: number, kw: number, stride: readonly [number, number], pad: readonly [number, number]): void => {
      const layer = conv2d(f, kh, kw, { stride, pad });
      const init = layer.init(key(1), [c, h, w]);
      const x = normal(key(3), [2, c, h, w], 0, 1, 'float64');
      const p64 = { W: normal(key(4), init.params.W.shape, 0, 1, 'float64'), b: normal(key(5), [f], 0, 1, 'float64') };
      const y = layer.forward(p64, x, inferenceCtx(key(0))).y;
      const expected = naiveConv(x, p64.W, p64.b, stride, pad);
      expect(y.shape).to.deep.equal([2, f, expected[0][0].length, expected[0][0][0].length]);
      expect(init.outputShape).to.deep.equal(y.shape.slice(1));
      const got = Array.from(y.data);
      flat(expected).forEach((v, i) => expect(got[i]).to.be.closeTo(v, 1e-12));
    };

    it('matches a direct convolution loop (stride 1, no padding)', () => check(1, 6, 6, 2, 3, 3, [1, 1], [0, 0]));
    it('matches a direct convolution loop (stride 2, pad 1, non-square)', () => check(3, 7, 5, 4, 3, 2, [2, 2], [1, 1]));
    it('matches a direct convolution loop (stride [1,3], pad [2,0], 4×1 kernel)', () => check(2, 5, 9, 3, 4, 1, [1, 3], [2, 0]));

    it('computes a hand example: 2×2 sum filter with bias', () => {
      const layer = conv2d(1, 2);
      const params = { W: tensor([[[[1, 1], [1, 1]]]]), b: tensor([10]) };
      const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
      const y = layer.forward(params, x, inferenceCtx(key(0))).y;
      expect(y.shape).to.deep.equal([1, 1, 2, 2]);
      expect(Array.from(y.data)).to.deep.equal([22, 26, 34, 38]);
    });

    it('initialises the book layout with He std √(2/(c·kh·kw)) and zero bias', () => {
      const { params, outputShape } = conv2d(30, 5).init(key(0), [1, 28, 28]);
      expect(params.W.shape).to.deep.equal([30, 1, 5, 5]);
      expect(params.b.shape).to.deep.equal([30]);
      expect(Array.from(params.b.data).every((v) => v === 0)).to.equal(true);
      expect(outputShape).to.deep.equal([30, 24, 24]);
      const { params: big } = conv2d(64, 3).init(key(0), [32, 8, 8]);
      const d = Array.from(big.W.data);
      const std = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
      expect(std).to.be.closeTo(Math.sqrt(2 / (32 * 9)), 0.005);
    });

    it("activation 'relu' computes the same as conv2d followed by reluLayer, forward and backward", () => {
      const fused = conv2d(4, 3, 3, { pad: 1, activation: 'relu' });
      const plain = sequential(conv2d(4, 3, 3, { pad: 1 }), reluLayer());
      const { params } = fused.init(key(1), [2, 6, 5]);
      const x = normal(key(2), [3, 2, 6, 5]);
      const f = fused.forward(params, x, inferenceCtx(key(0)));
      const tree = { conv1: params, relu1: {} };
      const p = plain.forward(tree, x, inferenceCtx(key(0)));
      expect(Array.from(f.y.data)).to.deep.equal(Array.from(p.y.data));
      expect(Array.from(f.y.data).some((v) => v === 0)).to.equal(true);
      const dy = normal(key(4), [...f.y.shape]);
      const a = fused.backward(params, f.cache, dy);
      const b = plain.backward(tree, p.cache, dy);
      expect(Array.from(a.dx.data)).to.deep.equal(Array.from(b.dx.data));
      expect(Array.from(a.grads.W.data)).to.deep.equal(Array.from((b.grads.conv1 as { W: Tensor }).W.data));
      expect(() => conv2d(2, 3, 3, { activation: 'tanh' as 'relu' })).to.throw(/activation must be 'none' or 'relu', got "tanh"/);
    });

    // 5×5 on one channel runs the direct kernel then maxPool; 3×3 on 16 channels runs Winograd, pooling as it folds
    const pooledGeometries = [
      { filters: 30, k: 5, pad: 0, input: [1, 28, 28], pooled: [30, 12, 12] },
      { filters: 16, k: 3, pad: 1, input: [16, 14, 14], pooled: [16, 7, 7] },
    ] as const;
    for (const { filters, k, pad, input, pooled } of pooledGeometries) {
      for (const relu of [false, true]) {
        it(`${k}×${k} pool 2${relu ? ' with ReLU' : ''}, alone, as sequential fuses it and in inference, computes conv2d${relu ? ' (relu)' : ''} then maxPool2d(2), bit for bit`, () => {
          const activation = relu ? 'relu' : 'none';
          const conv = conv2d(filters, k, k, { activation, pad });
          const pool = maxPool2d(2);
          const fused = conv2d(filters, k, k, { activation, pad, pool: 2 });
          const net = sequential(conv2d(filters, k, k, { activation, pad }), maxPool2d(2));
          const { params, outputShape } = fused.init(key(1), input);
          expect(outputShape).to.deep.equal(pooled);
          expect(net.init(key(1), input).outputShape).to.deep.equal(pooled);
          const x = normal(key(2), [12, ...input]);
          // the unfused chain, layer by layer
          const c = conv.forward(params, x, trainCtx(key(0), {}));
          const p = pool.forward({}, c.y, trainCtx(key(0), {}));
          const dy = normal(key(4), [...p.y.shape]);
          const back = conv.backward(params, c.cache, pool.backward({}, p.cache, dy).dx);
          const tree = { conv1: params };
          const fusedBackward = (cache: unknown) => fused.backward(params, cache as never, dy);
          for (const [what, fwd, bwd] of [
            ['conv2d with pool', () => fused.forward(params, x, trainCtx(key(0), {})), fusedBackward],
            // inference keeps no argmax; a backward after it finds the argmax again
            ['conv2d with pool in inference', () => fused.forward(params, x, inferenceCtx(key(0), {})), fusedBackward],
            ['sequential', () => net.forward(tree, x, trainCtx(key(0), {})), (cache: unknown) => {
              const r = net.backward(tree, cache as never, dy);
              expect(Object.keys(r.grads), 'gradient tree').to.deep.equal(['conv1']);
              return { dx: r.dx, grads: r.grads.conv1 as { W: Tensor; b: Tensor } };
            }],
          ] as const) {
            const f = fwd();
            expect(f.y.shape, what).to.deep.equal(p.y.shape);
            expect(Array.from(f.y.data), what).to.deep.equal(Array.from(p.y.data));
            const g = bwd(f.cache);
            expect(Array.from(g.dx.data), `${what} dx`).to.deep.equal(Array.from(back.dx.data));
            expect(Array.from(g.grads.W.data), `${what} dW`).to.deep.equal(Array.from(back.grads.W.data));
            expect(Array.from(g.grads.b.data), `${what} db`).to.deep.equal(Array.from(back.grads.b.data));
          }
        });
      }
    }

    it('sequential fuses only a pool whose window tiles the input (square, stride = window, no padding)', () => {
      expect(conv2d(2, 3).fuseNext?.(maxPool2d(2))).to.not.equal(undefined);
      expect(conv2d(2, 3).fuseNext?.(maxPool2d(3, 2))).to.equal(undefined);
      expect(conv2d(2, 3).fuseNext?.(maxPool2d([2, 3]))).to.equal(undefined);
      expect(conv2d(2, 3).fuseNext?.(maxPool2d(2, 2, 1))).to.equal(undefined);
      expect(conv2d(2, 3).fuseNext?.(reluLayer())).to.equal(undefined);
      expect(conv2d(2, 3, 3, { pool: 2 }).fuseNext).to.equal(undefined);
    });

    it('refuses a pool that is not a whole number or does not fit the output, naming both sizes', () => {
      expect(() => conv2d(2, 3, 3, { pool: 0 })).to.throw(/conv2d: pool must be a whole number ≥ 1, got 0/);
      expect(() => conv2d(2, 3, 3, { pool: 1.5 })).to.throw(/conv2d: pool must be a whole number ≥ 1, got 1.5/);
      expect(() => conv2d(2, 3, 3, { pool: 4 }).init(key(0), [1, 5, 8])).to.throw(/conv2d: a 4×4 pool does not fit the 3×6 convolution output/);
    });

    it('names shapes when the window does not fit or channels differ', () => {
      expect(() => conv2d(2, 5).init(key(0), [1, 3, 8])).to.throw(/conv2d: a 5×5 window does not fit input \[1,3,8\] with padding \[0,0\]/);
      expect(() => conv2d(2, 3).init(key(0), [8, 8])).to.throw(/conv2d: needs per-example input \[C,H,W\], got \[8,8\]/);
      const layer = conv2d(2, 3);
      const { params } = layer.init(key(0), [3, 8, 8]);
      expect(() => layer.forward(params, normal(key(1), [2, 4, 8, 8]), inferenceCtx(key(0))))
        .to.throw(/conv2d: input \[2,4,8,8\] is not \[N,3,H,W\] as W \[2,3,3,3\] needs/);
      expect(() => conv2d(0, 3)).to.throw(/filters must be a positive integer/);
      expect(() => conv2d(2, 3, 3, { stride: 0 })).to.throw(/stride must be a whole number ≥ 1/);
    });
  });
});

describe('conv2d: skipping the input gradient', () => {
  it('gives the same parameter gradients and zeros for dx when ctx.inputGrad is false', async () => {
    const { conv2d } = await import('../lib/layers/conv.ts');
    const { key, normal } = await import('../lib/random.ts');
    const { trainCtx } = await import('../lib/layers/layer.ts');
    const layer = conv2d(4, 3, 3, { pad: 1 });
    const { params } = layer.init(key(1), [2, 6, 5]);
    const x = normal(key(2), [3, 2, 6, 5]);
    const full = layer.forward(params, x, trainCtx(key(3)));
    const skip = layer.forward(params, x, { ...trainCtx(key(3)), inputGrad: false });
    const dy = normal(key(4), [...full.y.shape]);
    const a = layer.backward(params, full.cache, dy);
    const b = layer.backward(params, skip.cache, dy);
    expect(Array.from(b.grads.W.data)).to.deep.equal(Array.from(a.grads.W.data));
    expect(Array.from(b.grads.b.data)).to.deep.equal(Array.from(a.grads.b.data));
    expect(b.dx.shape).to.deep.equal(a.dx.shape);
    expect(Array.from(b.dx.data).every((v) => v === 0)).to.equal(true);
    expect(Array.from(a.dx.data).some((v) => v !== 0)).to.equal(true);
  });
});
