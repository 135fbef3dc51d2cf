import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadMnist } from '../lib/data/mnist.ts';
import { encodeNpz } from '../lib/data/npz.ts';
import type { NpyArray } from '../lib/data/npy.ts';
import { activeKernels } from '../lib/kernels/backend.ts';
import {
  affine, conv2d, deepConvNetMapping, key, loadBookNetwork, loadNpzParams, sequential, simpleConvNetMapping,
  type Tensor, type TreeRecord,
} from '../lib/index.ts';
import { fromSplit } from '../lib/data/datasets.ts';
import { argmax } from '../lib/ops/reduce.ts';
import { predictLogits } from '../lib/train/model.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../../shared/fixtures/dlfs/${name}`, import.meta.url));

const f32 = (shape: readonly number[], start = 0): NpyArray => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, (_, i) => start + i) };
};

describe('loading .npz weights', () => {
  const net = sequential(['conv1', conv2d(2, 3)], ['affine1', affine(4)]);
  const expected = net.init(key(0), [1, 5, 5]).params;
  const mapping = { W1: 'conv1/W', b1: 'conv1/b', W2: 'affine1/W', b2: 'affine1/b' };
  const good = (): Map<string, NpyArray> => new Map([
    ['W1', f32([2, 1, 3, 3])], ['b1', f32([2], 100)], ['W2', f32([18, 4])], ['b2', f32([4])],
  ]);

  it('fills every parameter path from its array, keeping the tree structure', () => {
    const params = loadNpzParams(encodeNpz(good()), mapping, expected, 'tiny.npz');
    expect(Object.keys(params)).to.deep.equal(['conv1', 'affine1']);
    const b = (params.conv1 as TreeRecord).b as Tensor;
    expect(b.dtype).to.equal('float32');
    expect(Array.from(b.data)).to.deep.equal([100, 101]);
  });

  it('accepts float64 arrays and casts them to float32', () => {
    const arrays = good();
    arrays.set('W2', { dtype: 'float64', shape: [18, 4], data: Float64Array.from({ length: 72 }, (_, i) => i / 3) });
    const params = loadNpzParams(arrays, mapping, expected, 'f64.npz');
    const W = (params.affine1 as TreeRecord).W as Tensor;
    expect(W.dtype).to.equal('float32');
    expect(W.data[1]).to.equal(Math.fround(1 / 3));
  });

  it('refuses a missing array, a wrong shape, an unused array and an unfilled parameter, naming them', () => {
    const missing = good(); missing.delete('b2');
    expect(() => loadNpzParams(missing, mapping, expected, 'w.npz'))
      .to.throw(/w\.npz: array 'b2' is missing \(it should fill affine1\/b, shape \[4\]\)/);
    const wrong = good(); wrong.set('W1', f32([2, 1, 5, 5]));
    expect(() => loadNpzParams(wrong, mapping, expected, 'w.npz'))
      .to.throw(/w\.npz: array 'W1' has shape \[2,1,5,5\] but conv1\/W needs \[2,1,3,3\]/);
    const extra = good(); extra.set('W9', f32([1]));
    expect(() => loadNpzParams(extra, mapping, expected, 'w.npz')).to.throw(/array 'W9' is not used by the mapping/);
    const { b2: _b2, ...partial } = mapping;
    void _b2;
    const fewer = good(); fewer.delete('b2');
    expect(() => loadNpzParams(fewer, partial, expected, 'w.npz')).to.throw(/no array is mapped to parameter "affine1\/b"/);
    expect(() => loadNpzParams(good(), { ...mapping, W2: 'affine9/W' }, expected, 'w.npz'))
      .to.throw(/sends array 'W2' to "affine9\/W", which the network has no parameter for/);
  });

  it('refuses NaN, ±Infinity and float64 values beyond float32, naming the array, index and value', () => {
    const withValue = (array: string, i: number, v: number, dtype: 'float32' | 'float64' = 'float32'): Map<string, NpyArray> => {
      const arrays = good();
      const a = arrays.get(array)!;
      const data = dtype === 'float32' ? Float32Array.from(a.data) : Float64Array.from(a.data);
      data[i] = v;
      arrays.set(array, dtype === 'float32' ? { dtype, shape: a.shape, data: data as Float32Array } : { dtype, shape: a.shape, data: data as Float64Array });
      return arrays;
    };
    expect(() => loadNpzParams(withValue('W2', 5, NaN), mapping, expected, 'w.npz'))
      .to.throw("w.npz: array 'W2' holds NaN at index 5 (element [1,1] of shape [18,4]); weights must be finite");
    expect(() => loadNpzParams(withValue('b1', 1, -Infinity), mapping, expected, 'w.npz'))
      .to.throw("w.npz: array 'b1' holds -Infinity at index 1 (element [1] of shape [2]); weights must be finite");
    expect(() => loadNpzParams(withValue('W1', 0, 1e300, 'float64'), mapping, expected, 'w.npz'))
      .to.throw("w.npz: array 'W1' holds 1e+300 at index 0 (element [0,0,0,0] of shape [2,1,3,3]), which overflows float32; weights must be finite");
    // Through an archive too: NaN survives the .npy round trip and is still refused.
    expect(() => loadNpzParams(encodeNpz(withValue('b2', 3, NaN)), mapping, expected, 'nan.npz'))
      .to.throw("nan.npz: array 'b2' holds NaN at index 3");
  });

  it('refuses arrays whose file dtype is not float32 or float64 (widened integers included)', () => {
    for (const descr of ['<i8', '<i4', '|u1']) {
      const arrays = good();
      arrays.set('b1', { dtype: 'float64', shape: [2], data: new Float64Array([1, 2]), descr });
      expect(() => loadNpzParams(arrays, mapping, expected, 'int.npz'))
        .to.throw(`int.npz: array 'b1' has dtype '${descr}'; weights must be float32 ('<f4') or float64 ('<f8')`);
    }
    const f8 = good();
    f8.set('b1', { dtype: 'float64', shape: [2], data: new Float64Array([1, 2]), descr: '<f8' });
    expect(() => loadNpzParams(f8, mapping, expected, 'f8.npz')).not.to.throw();
  });

  it('maps the book arrays W1…W8 onto conv and affine paths', () => {
    expect(simpleConvNetMapping).to.deep.equal({
      W1: 'conv1/W', b1: 'conv1/b', W2: 'affine1/W', b2: 'affine1/b', W3: 'affine2/W', b3: 'affine2/b',
    });
    expect(deepConvNetMapping.W4).to.equal('conv4/W');
    expect(deepConvNetMapping.b6).to.equal('conv6/b');
    expect(deepConvNetMapping.W7).to.equal('affine1/W');
    expect(deepConvNetMapping.W8).to.equal('affine2/W');
  });

  it('refuses the book archive of the other network', () => {
    expect(() => loadBookNetwork('simple-convnet', fixture('deep_convnet_2016.npz')))
      .to.throw(/array 'W1' has shape \[16,1,3,3\] but conv1\/W needs \[30,1,5,5\]/);
  });
});

describe("the book's trained networks on the 10k MNIST test set", function () {
  // DeepConvNet inference on 10k images is ~17 GFLOP: about 30 s with the WebAssembly
  // kernels, about 5 minutes with the reference kernels
  this.timeout(15 * 60 * 1000);
  const test = fromSplit(loadMnist()).test;

  const correctOf = (model: 'simple-convnet' | 'deep-convnet', file: string): number => {
    const started = performance.now();
    const { net, variables } = loadBookNetwork(model, fixture(file));
    const predicted = argmax(predictLogits(net, variables, test, 100), -1);
    let hits = 0;
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === test.labels[i]) hits++;
    const seconds = (performance.now() - started) / 1000;
    console.log(`      ${model}: ${hits}/${predicted.length} in ${seconds.toFixed(1)} s (kernels: ${activeKernels().name})`);
    return hits;
  };

  it('SimpleConvNet (ch. 7) gets exactly the book\'s 98.90%', () => {
    expect(correctOf('simple-convnet', 'simple_convnet_2016.npz')).to.equal(9890);
  });

  it('DeepConvNet (ch. 8) gets exactly the book\'s 99.35%', () => {
    expect(correctOf('deep-convnet', 'deep_convnet_2016.npz')).to.equal(9935);
  });
});
