/**
 * Checkpoints written by tenfold a7717cf (before optimizer state was typed) load and resume here.
 * spec/fixtures/checkpoints-a7717cf.md says how they were made; each records its uninterrupted run's hash.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  adam, adamw, dataset, fit, initTrainState, key, momentum, normal, paramsSha256, referenceKernels, setKernels,
  softmaxCrossEntropy, wrap, type Kernels, type Optimizer,
} from '../lib/index.ts';
import { mlp } from '../lib/models/mlp.ts';
import { checkpointOf, LATEST, loadCheckpoint, saveCheckpoint, trainStateOf } from '../lib/train/checkpoint.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** Three Gaussian blobs in 4-D (as spec/train.spec.ts): the fixtures' training data. */
const blobs = (seed: number, n: number) => {
  const noise = normal(key(seed), [n, 4], 0, 0.3);
  const x = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j === i % 3 ? 1.5 : 0) + noise.data[i * 4 + j];
  }
  return dataset(wrap(x, [n, 4]), labels);
};

interface Manifest {
  readonly binary: string;
  readonly tensors: readonly { readonly path: string; readonly dtype: string; readonly shape: readonly number[] }[];
  readonly trees: { readonly optState: unknown };
}
/** The current manifest of a checkpoint directory, and its binary's bytes. */
const onDisk = (dir: string): { readonly manifest: Manifest; readonly binary: Buffer } => {
  const pointer = JSON.parse(readFileSync(join(dir, LATEST), 'utf8')) as { readonly manifest: string };
  const manifest = JSON.parse(readFileSync(join(dir, pointer.manifest), 'utf8')) as Manifest;
  return { manifest, binary: readFileSync(join(dir, manifest.binary)) };
};
const optStateTable = (m: Manifest) => m.tensors.filter((e) => e.path.startsWith('optState/'));

// the fixtures' hashes: the parameters after 2 uninterrupted epochs with the a7717cf code
const cases: readonly (readonly [string, () => Optimizer, string])[] = [
  ['adam', () => adam(0.01), '7380e8ecb09922b0924357e881a3283a0ae67e10fc6f95b051b61dc613603a88'],
  ['momentum', () => momentum(0.1, 0.9), 'e4b2c7f5cfb4ac9c7480ebc89761234767479d3feb5b6f36539165dfe85135b9'],
  ['adamw', () => adamw(0.01, 0.1), 'e45259cde6063098cf7ca10653b9019d8873437f7519456d18b123c025c19ab3'],
];

describe('checkpoints written by a7717cf', () => {
  // the fixtures were made with the reference kernels: relaxed-SIMD bits may differ across machines
  let previous: Kernels;
  let tmp: string;
  before(() => { previous = setKernels(referenceKernels); });
  after(() => { setKernels(previous); });
  beforeEach(() => { tmp = mkdtempSync(join(tmpdir(), 'tenfold-compat-')); });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const train = blobs(1, 60);
  const options = { train, batchSize: 10 };
  for (const [name, optimizer, epoch2Hash] of cases) {
    const fixture = join(FIXTURES, `${name}-checkpoint-a7717cf`);
    const setup = () => {
      const model = { net: mlp({ hidden: [8], classes: 3 }), loss: softmaxCrossEntropy };
      const opt = optimizer();
      return { model, opt, fresh: initTrainState(model, opt, key(7), [4]) };
    };

    it(`${name}: loads, resumes for the second epoch to the uninterrupted run's parameters`, () => {
      const { model, opt, fresh } = setup();
      const c = loadCheckpoint(fixture, { expect: fresh });
      expect(c.metadata.epoch2ParamsSha256, 'the hash recorded in the fixture').to.equal(epoch2Hash);
      const resumed = fit(model, opt, trainStateOf(c), { ...options, epochs: 2 }, c.history);
      expect(resumed.state.step).to.equal(12);
      expect(paramsSha256(resumed.state.params)).to.equal(epoch2Hash);
      // and the state the new code wrote saves in the fixture's layout: same tree, paths, shapes
      saveCheckpoint(tmp, checkpointOf(resumed.state, resumed.history));
      const [old, now] = [onDisk(fixture).manifest, onDisk(tmp).manifest];
      expect(now.trees.optState).to.deep.equal(old.trees.optState);
      expect(optStateTable(now).map((e) => [e.path, e.dtype, e.shape]))
        .to.deep.equal(optStateTable(old).map((e) => [e.path, e.dtype, e.shape]));
    });

    it(`${name}: a first epoch with this code writes the fixture's bytes`, () => {
      const { model, opt, fresh } = setup();
      const first = fit(model, opt, fresh, { ...options, epochs: 1 });
      saveCheckpoint(tmp, checkpointOf(first.state, first.history));
      const [old, now] = [onDisk(fixture), onDisk(tmp)];
      expect(now.manifest.tensors).to.deep.equal(old.manifest.tensors);
      expect(now.manifest.trees).to.deep.equal(old.manifest.trees);
      expect(now.binary.equals(old.binary), 'tensor bytes').to.equal(true);
    });
  }
});
