/** Saved models: architecture, weights, input shape, preprocessing and class names in one file; reloaded without the building code. */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  affine, batchNorm, conv2d, dropout, flatten, initTrainState, key, maxPool2d, normal, reluLayer, residual, sequential, sgd,
  leaves, softmaxCrossEntropy, tanhLayer, type Layer, type Tensor,
} from '../lib/index.ts';
import { layerFromSpec, specOf } from '../lib/layers/describe.ts';
import { inferenceCtx } from '../lib/layers/layer.ts';
import { models } from '../lib/models/registry.ts';
import { paramsSha256 } from '../lib/train/hash.ts';
import { decodeModel, encodeModel, loadModel, saveModel } from '../lib/train/saved-model.ts';

const logits = (net: Layer, params: object, state: object, x: Tensor): readonly number[] =>
  Array.from(net.forward(params as never, x, inferenceCtx(key(0), state as never)).y.data);

describe('saved models', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tenfold-saved-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a custom sequential (conv, batch norm, pooling, residual, dropout) reloads from the file alone and predicts the same', () => {
    const net = sequential(
      conv2d(4, 3, 3, { pad: 1, activation: 'relu' }), batchNorm({ activation: 'relu' }), maxPool2d(2),
      residual(sequential(conv2d(4, 3, 3, { pad: 1 }), tanhLayer())), flatten(),
      ['hidden', affine(12)], reluLayer(), dropout(0.25), affine(3),
    );
    const model = { net, loss: softmaxCrossEntropy };
    const ts = initTrainState(model, sgd(0.1), key(2), [2, 8, 8]);
    const x = normal(key(3), [5, 2, 8, 8]);
    const file = join(dir, 'custom.tenfold');
    saveModel(file, { net, variables: ts, inputShape: [2, 8, 8], classNames: ['a', 'b', 'c'], preprocessing: { scale: 1 / 255, offset: 0 }, metadata: { note: 'spec' } });
    const back = loadModel(file);
    expect(back.inputShape).to.deep.equal([2, 8, 8]);
    expect(back.classNames).to.deep.equal(['a', 'b', 'c']);
    expect(back.preprocessing).to.deep.equal({ scale: 1 / 255, offset: 0 });
    expect(back.metadata).to.deep.equal({ note: 'spec' });
    expect(paramsSha256(back.variables.params)).to.equal(paramsSha256(ts.params));
    expect(logits(back.net, back.variables.params, back.variables.state, x)).to.deep.equal(logits(net, ts.params, ts.state, x));
    // the same model gives the same bytes
    expect(Buffer.compare(Buffer.from(encodeModel(back)), readFileSync(file))).to.equal(0);
  });

  it('every zoo model is described and rebuilt with the same parameter paths and shapes', () => {
    for (const [name, entry] of Object.entries(models)) {
      const net = entry.build({ hidden: [16], classes: 10 });
      const spec = specOf(net);
      expect(spec, name).to.not.equal(undefined);
      const shape = entry.flatInput ? [784] : [1, 28, 28];
      const again = layerFromSpec(spec ?? { kind: '', args: [] });
      // initialisers are not saved (the file's weights replace them): the tree's paths and shapes must agree
      const layout = (l: Layer) => leaves(l.init(key(1), shape).params).map(([p, t]) => `${p} ${t.shape.join('x')}`);
      expect(layout(again), name).to.deep.equal(layout(net));
    }
  });

  it('refuses a damaged file, a foreign layer and a file whose tensors do not fit, naming what is wrong', () => {
    const net = sequential(affine(4), reluLayer(), affine(2));
    const params = net.init(key(1), [3]).params;
    const bytes = encodeModel({ net, variables: { params, state: {} }, inputShape: [3] });
    const flipped = Uint8Array.from(bytes);
    flipped[Math.floor(bytes.length / 2)] ^= 0xff;
    expect(() => decodeModel(flipped, 'flipped.tenfold')).to.throw(/flipped\.tenfold: .*(CRC-32 mismatch|model\.json)/);
    const custom: Layer = { name: 'mine', init: () => ({ params: {}, state: {}, outputShape: [1] }), forward: (_p, x) => ({ y: x, cache: undefined, state: {} }), backward: (_p, _c, dy) => ({ dx: dy, grads: {} }) };
    expect(() => encodeModel({ net: sequential(custom), variables: { params: {}, state: {} }, inputShape: [1] }))
      .to.throw(/the layer "mine" was not made by a library constructor/);
    const wider = sequential(affine(5), reluLayer(), affine(2));
    const wrongFile = join(dir, 'wrong.tenfold');
    writeFileSync(wrongFile, encodeModel({ net: wider, variables: { params, state: {} }, inputShape: [3] }));
    expect(() => loadModel(wrongFile)).to.throw(/params "affine1\/W" has shape \[3,4\] in the file but \[3,5\] in the architecture/);
  });
});
