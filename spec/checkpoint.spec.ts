import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { softmaxCrossEntropy } from '../lib/losses.ts';
import { mlp } from '../lib/models/mlp.ts';
import { adam } from '../lib/optim/optimizers.ts';
import { key, normal, randint } from '../lib/random.ts';
import { fromArray, type Tensor } from '../lib/tensor.ts';
import { unsafeMutableData } from '../lib/tensor-unsafe.ts';
import { leaves, type TreeRecord } from '../lib/tree.ts';
import { commit } from '../lib/train/checkpoint-files.ts';
import {
  checkpointOf, CheckpointError, commitCheckpoint, hasCheckpoint, LATEST, loadCheckpoint, saveCheckpoint,
  stageCheckpoint, trainStateOf, type Checkpoint,
} from '../lib/train/checkpoint.ts';
import { dataset } from '../lib/data/dataset.ts';
import { fit, initTrainState, type History } from '../lib/train/fit.ts';
import { paramsSha256 } from '../lib/train/hash.ts';

const bytesOf = (t: Tensor): Uint8Array => {
  const b = unsafeMutableData(t);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};
const sameTree = (a: TreeRecord, b: TreeRecord): void => {
  const la = leaves(a);
  const lb = leaves(b);
  expect(la.map(([p, t]) => [p, t.dtype, [...t.shape]])).to.deep.equal(lb.map(([p, t]) => [p, t.dtype, [...t.shape]]));
  la.forEach(([, t], i) => expect(Buffer.compare(bytesOf(t), bytesOf(lb[i][1]))).to.equal(0));
};

const history: History = {
  loss: [2.3, 1.1, 0.1 + 0.2],
  epochs: [{ epoch: 1, meanLoss: 1.2345678901234567, trainAccuracy: 0.5, testAccuracy: null, seconds: 0.25 }],
};

const sample = (epoch = 1, w = 1): Checkpoint => ({
  params: { affine1: { W: fromArray([w, 2, 3, 4, 5, 6], [2, 3]), b: fromArray([0.5, NaN, -0], [3]) } },
  state: {},
  optState: { '0': { count: fromArray([7], [], 'float64'), mu: { affine1: { W: fromArray([1e-30, 2, 3, 4, 5, 6], [2, 3]) } } }, '1': {} },
  key: [0xdeadbeef, 12345] as const,
  step: 3 * epoch,
  epoch,
  history,
  metadata: { model: 'mlp', flags: { lr: 0.1, hidden: [50] }, note: 'ünïcode "quoted"' },
});

describe('train/checkpoint', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tenfold-ckpt-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const manifestOf = (): string => join(dir, (JSON.parse(readFileSync(join(dir, LATEST), 'utf8')) as { manifest: string }).manifest);
  const binaryOf = (): string => manifestOf().replace(/\.json$/, '.bin');
  const snapshot = (): Record<string, string> =>
    Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
  const refuses = (pattern: RegExp, options = {}): void => {
    const before = snapshot();
    expect(() => loadCheckpoint(dir, options)).to.throw(CheckpointError, pattern);
    expect(snapshot(), 'the loader never changes a refused checkpoint').to.deep.equal(before);
  };

  it('round-trips every field bit for bit, keeping empty subtrees', () => {
    const c = sample();
    const file = saveCheckpoint(dir, c);
    expect(existsSync(file)).to.equal(true);
    expect(hasCheckpoint(dir)).to.equal(true);
    const back = loadCheckpoint(dir);
    sameTree(back.params, c.params);
    sameTree(back.optState, c.optState);
    expect(back.state).to.deep.equal({});
    expect(back.optState['1']).to.deep.equal({});
    expect(Object.is(back.params.affine1 && (back.params.affine1 as TreeRecord).b && ((back.params.affine1 as TreeRecord).b as Tensor).data[2], -0)).to.equal(true);
    expect(((back.optState['0'] as TreeRecord).count as Tensor).dtype).to.equal('float64');
    expect([...back.key]).to.deep.equal([0xdeadbeef, 12345]);
    expect([back.step, back.epoch]).to.deep.equal([3, 1]);
    expect(back.history).to.deep.equal(history);
    expect(back.metadata).to.deep.equal(c.metadata);
    // loading a manifest by path works too
    expect(loadCheckpoint(file).epoch).to.equal(1);
  });

  it('writes the same bytes for the same checkpoint', () => {
    saveCheckpoint(dir, sample());
    const a = readFileSync(binaryOf());
    const dir2 = mkdtempSync(join(tmpdir(), 'tenfold-ckpt-'));
    try {
      saveCheckpoint(dir2, sample());
      expect(Buffer.compare(a, readFileSync(join(dir2, readdirSync(dir2).find((f) => f.endsWith('.bin')) ?? '')))).to.equal(0);
    } finally { rmSync(dir2, { recursive: true, force: true }); }
  });

  it('keeps the newest pairs and removes older ones after the commit', () => {
    for (let e = 1; e <= 4; e++) saveCheckpoint(dir, sample(e, e));
    const files = readdirSync(dir).sort();
    expect(files).to.deep.equal([
      'ckpt-e0003-s00000009.bin', 'ckpt-e0003-s00000009.json', 'ckpt-e0004-s00000012.bin', 'ckpt-e0004-s00000012.json', LATEST,
    ]);
    expect(loadCheckpoint(dir).epoch).to.equal(4);
    expect(loadCheckpoint(join(dir, 'ckpt-e0003-s00000009.json')).epoch).to.equal(3);
  });

  it('saving the same epoch twice never overwrites the pair the pointer refers to', () => {
    saveCheckpoint(dir, sample(1, 1));
    const pending = stageCheckpoint(dir, sample(1, 99));
    commit(dir, [pending.files[0]]); // crash after the binary rename
    expect(((loadCheckpoint(dir).params.affine1 as TreeRecord).W as Tensor).data[0]).to.equal(1);
    saveCheckpoint(dir, sample(1, 42));
    expect(((loadCheckpoint(dir).params.affine1 as TreeRecord).W as Tensor).data[0]).to.equal(42);
  });

  describe('a crash during a save leaves the previous checkpoint loadable', () => {
    const crashes: Record<string, (p: ReturnType<typeof stageCheckpoint>) => void> = {
      'after writing the temporary files': () => {},
      'after renaming the binary': (p) => commit(dir, [p.files[0]]),
      'after renaming binary and manifest': (p) => commit(dir, [p.files[0], p.files[1]]),
    };
    for (const [when, crash] of Object.entries(crashes)) {
      it(when, () => {
        saveCheckpoint(dir, sample(1, 1));
        crash(stageCheckpoint(dir, sample(2, 2)));
        const c = loadCheckpoint(dir);
        expect(c.epoch).to.equal(1);
        expect(((c.params.affine1 as TreeRecord).W as Tensor).data[0]).to.equal(1);
        // the next save succeeds and sweeps the leftovers
        saveCheckpoint(dir, sample(2, 2));
        expect(loadCheckpoint(dir).epoch).to.equal(2);
        expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).to.deep.equal([]);
      });
    }

    it('and a completed commit makes the new one current', () => {
      saveCheckpoint(dir, sample(1, 1));
      commitCheckpoint(stageCheckpoint(dir, sample(2, 2)));
      expect(loadCheckpoint(dir).epoch).to.equal(2);
    });
  });

  describe('refuses, naming the file and the problem', () => {
    beforeEach(() => { saveCheckpoint(dir, sample(1)); saveCheckpoint(dir, sample(2)); });

    it('an empty or missing directory', () => {
      const empty = mkdtempSync(join(tmpdir(), 'tenfold-ckpt-'));
      try {
        expect(() => loadCheckpoint(empty)).to.throw(CheckpointError, /no checkpoint here \(no latest\.json\)/);
      } finally { rmSync(empty, { recursive: true, force: true }); }
      expect(() => loadCheckpoint(join(dir, 'nope'))).to.throw(CheckpointError, /nope: no such directory/);
    });

    it('a truncated binary', () => {
      truncateSync(binaryOf(), 10);
      refuses(/ckpt-e0002-s00000006\.bin: truncated: 10 bytes, but ckpt-e0002-s00000006\.json says \d+.*earlier checkpoints.*ckpt-e0001/);
    });

    it('a checksum mismatch', () => {
      const b = readFileSync(binaryOf());
      b[5] ^= 1;
      writeFileSync(binaryOf(), b);
      refuses(/ckpt-e0002-s00000006\.bin: checksum mismatch: SHA-256 is [0-9a-f]{64} but ckpt-e0002-s00000006\.json says [0-9a-f]{64}/);
    });

    it('a manifest edited after the pointer was written', () => {
      writeFileSync(manifestOf(), readFileSync(manifestOf(), 'utf8').replace('"step": 6', '"step": 7'));
      refuses(/ckpt-e0002-s00000006\.json: SHA-256 [0-9a-f]{64} differs from [0-9a-f]{64} recorded in latest\.json/);
    });

    const editManifest = (edit: (m: Record<string, unknown>) => void): string => {
      const m = JSON.parse(readFileSync(manifestOf(), 'utf8')) as Record<string, unknown>;
      edit(m);
      const file = join(dir, 'edited.json');
      writeFileSync(file, JSON.stringify(m));
      return file;
    };

    it('a manifest field of the wrong type (io-ts error naming the field)', () => {
      const file = editManifest((m) => { m.step = '6'; (m.history as { loss: unknown[] }).loss[1] = null; });
      expect(() => loadCheckpoint(file)).to.throw(CheckpointError,
        /edited\.json: invalid: field "step": expected a whole number ≥ 0, got "6"; field "history\.loss\.1": expected a finite number, got null/);
      const f2 = editManifest((m) => { delete m.key; });
      expect(() => loadCheckpoint(f2)).to.throw(CheckpointError, /field "key": expected \[an unsigned 32-bit integer, an unsigned 32-bit integer\], got nothing \(missing\)/);
    });

    it('a manifest of another format or version', () => {
      expect(() => loadCheckpoint(editManifest((m) => { m.version = 2; }))).to.throw(CheckpointError, /field "version" is 2; this tenfold reads version 1 only/);
      expect(() => loadCheckpoint(editManifest((m) => { m.format = 'x'; }))).to.throw(CheckpointError, /not a tenfold-checkpoint file/);
    });

    it('tensor bytes that do not fit the shape', () => {
      const file = editManifest((m) => { (m.tensors as { shape: number[] }[])[0].shape = [3, 3]; });
      expect(() => loadCheckpoint(file)).to.throw(CheckpointError, /edited\.json: tensor "params\/affine1\/W": shape \[3,3\] float32 needs 36 bytes but the manifest gives 24/);
      const f2 = editManifest((m) => { (m.tensors as { offset: number }[])[0].offset = 10_000; });
      expect(() => loadCheckpoint(f2)).to.throw(CheckpointError, /tensor "params\/affine1\/W": bytes 10000\.\.10024 lie beyond the end/);
    });

    it('a binary name that leaves the directory', () => {
      expect(() => loadCheckpoint(editManifest((m) => { m.binary = '../x.bin'; }))).to.throw(CheckpointError, /field "binary": expected a plain file name/);
    });

    it('a params tree that does not match the model (path and both shapes)', () => {
      const model = { affine1: { W: fromArray(new Float32Array(8), [2, 4]), b: fromArray(new Float32Array(3), [3]) }, affine2: { W: fromArray([1], [1, 1]) } };
      refuses(/ckpt-e0002-s00000006\.json: does not fit the model being resumed: params "affine1\/W" has shape \[2,3\] in the checkpoint but \[2,4\] in the model; params "affine2\/W" \(shape \[1,1\]\) is in the model but not in the checkpoint/,
        { expect: { params: model } });
      expect(loadCheckpoint(dir, { expect: { params: sample().params, optState: sample().optState } }).epoch).to.equal(2);
    });
  });

  it('refuses to save what it could not load back (NaN in the history)', () => {
    const c = { ...sample(), history: { loss: [1, NaN], epochs: [] } };
    expect(() => saveCheckpoint(dir, c)).to.throw(/cannot save: field "history\.loss\.1": expected a finite number, got NaN/);
    expect(hasCheckpoint(dir)).to.equal(false);
  });

  it('resuming from a checkpoint reproduces an uninterrupted run bit for bit', function () {
    this.timeout(60_000);
    const k = key(3);
    const x = normal(k, [60, 8]);
    const train = dataset(x, randint(key(4), 60, 0, 3));
    const model = { net: mlp({ hidden: [6], classes: 3 }), loss: softmaxCrossEntropy };
    const opt = adam(0.01);
    const options = { train, epochs: 3, batchSize: 16 };
    const initial = initTrainState(model, opt, key(5), [8]);
    const straight = fit(model, opt, initial, options);

    let saved = 0;
    fit(model, opt, initial, {
      ...options, epochs: 2,
      onEpoch: (s, h) => { saveCheckpoint(dir, checkpointOf(s, h, { model: 'mlp' })); saved++; },
    });
    expect(saved).to.equal(2);
    const c = loadCheckpoint(dir, { expect: initial });
    expect(c.epoch).to.equal(2);
    const resumed = fit(model, opt, trainStateOf(c), options, c.history);
    expect(paramsSha256(resumed.state.params)).to.equal(paramsSha256(straight.state.params));
    sameTree(resumed.state.optState, straight.state.optState);
    expect(resumed.state.step).to.equal(straight.state.step);
    expect(resumed.history.loss).to.deep.equal(straight.history.loss);
    expect(resumed.history.epochs.map((e) => e.meanLoss)).to.deep.equal(straight.history.epochs.map((e) => e.meanLoss));
  });
});
