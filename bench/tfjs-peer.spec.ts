import { expect } from 'chai';
import type * as TF from '@tensorflow/tfjs-core';
import { useTfjs } from '../lib/bench/peers/tfjs.ts';
import { filterGradient, padsOf, tfjsTrainer, type TfjsLayer } from '../lib/bench/peers/tfjs-nets.ts';
import { affine, cast, conv2d, fromArray, key, maxPool2d, normal, reluLayer, sequential, softmaxCrossEntropy, split, trainCtx, transpose, reshape, type Tensor, type TreeRecord } from '../lib/index.ts';

// The bench's TensorFlow.js training step writes its backward pass by hand (tfjs-core's node
// bundle has no gradients): these specs hold it to tenfold's float64 reference, so the peer
// rows time a correct step.

const maxRelative = (got: ArrayLike<number>, want: ArrayLike<number>): number => {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    err = Math.max(err, Math.abs(got[i] - want[i]));
  }
  return err / Math.max(scale, 1e-30);
};

const float64 = (t: TF.Tensor): Tensor => fromArray(t.dataSync(), t.shape, 'float64');

describe('bench: the TensorFlow.js peer training step', function () {
  this.timeout(60000);

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`computes the loss and gradients of tenfold's float64 layers (tfjs-${backend})`, async () => {
      const tf = await useTfjs(backend);
      const layers: TfjsLayer[] = [
        { kind: 'conv', filters: 4, size: 3, pad: 1 }, { kind: 'relu' },
        { kind: 'conv', filters: 5, size: 3, pad: 2 }, { kind: 'relu' }, { kind: 'pool' },
        { kind: 'dense', units: 7 }, { kind: 'relu' }, { kind: 'dense', units: 3 },
      ];
      const ours = sequential(conv2d(4, 3, 3, { pad: 1 }), reluLayer(), conv2d(5, 3, 3, { pad: 2 }), reluLayer(), maxPool2d(2),
        affine(7), reluLayer(), affine(3));
      const trainer = tfjsTrainer(tf, layers, [6, 6, 2]);
      const n = 5;
      const [kx] = split(key(4), 1);
      const xNchw = cast(normal(kx, [n, 2, 6, 6]), 'float64');
      const labels = [0, 2, 1, 1, 2];
      const xNhwc = tf.tensor4d(Float32Array.from(transpose(xNchw, [0, 2, 3, 1]).data), [n, 6, 6, 2]);
      const v = (name: string): TF.Variable => trainer.variables.get(name) ?? expect.fail(`no variable ${name}`);
      // tfjs's weights in tenfold's layouts: conv [kh,kw,c,f] → [f,c,kh,kw]; the first dense layer
      // reads (h, w, c) where tenfold flattens (c, h, w)
      const convW = (name: string): Tensor => transpose(float64(v(name)), [3, 2, 0, 1]);
      const denseAfterPool = reshape(transpose(reshape(float64(v('w5')), [4, 4, 5, 7]), [2, 0, 1, 3]), [80, 7]);
      const params: TreeRecord = {
        conv1: { W: convW('w0'), b: float64(v('b0')) },
        conv2: { W: convW('w2'), b: float64(v('b2')) },
        affine1: { W: denseAfterPool, b: float64(v('b5')) },
        affine2: { W: float64(v('w7')), b: float64(v('b7')) },
      };
      const fwd = ours.forward(params, xNchw, trainCtx(key(1)));
      const { value, dy } = softmaxCrossEntropy(fwd.y, labels);
      const { grads } = ours.backward(params, fwd.cache, dy);
      const g = grads as Record<string, Record<string, Tensor>>;
      const want: Record<string, Tensor> = {
        w0: transpose(g.conv1.W, [2, 3, 1, 0]), b0: g.conv1.b,
        w2: transpose(g.conv2.W, [2, 3, 1, 0]), b2: g.conv2.b,
        w5: reshape(transpose(reshape(g.affine1.W, [5, 4, 4, 7]), [1, 2, 0, 3]), [80, 7]), b5: g.affine1.b,
        w7: g.affine2.W, b7: g.affine2.b,
      };
      const got = tf.tidy(() => {
        const r = trainer.gradients(xNhwc, tf.tensor1d(labels, 'int32'));
        return { loss: r.loss.dataSync()[0], grads: r.grads.map((gr) => ({ name: gr.name, data: gr.tensor.dataSync() })) };
      });
      // float32 against float64, with weights drawn afresh each run: the same 1e-4 relative as the gradients
      expect(got.loss).to.be.closeTo(value, 1e-4 * Math.abs(value));
      expect(got.grads.map((gr) => gr.name).sort()).to.deep.equal(Object.keys(want).sort());
      for (const gr of got.grads) expect(maxRelative(gr.data, want[gr.name].data), gr.name).to.be.below(1e-4);
      trainer.dispose();
      xNhwc.dispose();
    });
  }

  it('composes tfjs-wasm\'s missing filter gradient from a convolution that agrees with tfjs-cpu\'s kernel', async () => {
    const shapes = [{ c: 1, f: 30, k: 5, pad: 0, hw: 12 }, { c: 3, f: 4, k: 3, pad: 2, hw: 7 }];
    for (const s of shapes) {
      const run = async (backend: 'cpu' | 'wasm'): Promise<Float32Array> => {
        const tf = await useTfjs(backend);
        return tf.tidy(() => {
          const x = tf.tensor4d(Float32Array.from({ length: 3 * s.hw * s.hw * s.c }, (_, i) => Math.sin(i)), [3, s.hw, s.hw, s.c]);
          const w = tf.zeros([s.k, s.k, s.c, s.f]) as TF.Tensor4D;
          const o = s.hw + 2 * s.pad - s.k + 1;
          const dy = tf.tensor4d(Float32Array.from({ length: 3 * o * o * s.f }, (_, i) => Math.cos(i)), [3, o, o, s.f]);
          expect(padsOf(s.pad)[1]).to.deep.equal([s.pad, s.pad]);
          return filterGradient(tf, x, dy, w, s.pad).dataSync() as Float32Array;
        });
      };
      const cpu = await run('cpu');
      const wasm = await run('wasm');
      expect(wasm.length).to.equal(s.k * s.k * s.c * s.f);
      expect(maxRelative(wasm, cpu), JSON.stringify(s)).to.be.below(1e-5);
    }
  });
});
