/** Bad flags, paths and runs through the command-line scripts: a clear error naming what is wrong, in time, with nothing lost. */
import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../lib/train/checkpoint.ts';
import { runChild, type ChildResult } from '../helpers/child.ts';
import { FAULT_JOB_FLAGS } from '../helpers/fault-job.ts';
import { mountTmpfs } from '../helpers/tmpfs.ts';

const BOOK = new URL('../../../shared/fixtures/dlfs/simple_convnet_2016.npz', import.meta.url).pathname;
const train = (args: readonly string[], timeoutMs = 10_000): Promise<ChildResult> => runChild(['scripts/train.ts', ...args], { timeoutMs });
const refusedFast = (r: ChildResult, code: number, pattern: RegExp): void => {
  expect(r.timedOut, 'no hang').to.equal(false);
  expect(r.status, r.stderr).to.equal(code);
  expect(r.stderr).to.match(pattern);
};

describe('faults: the command line', function () {
  this.timeout(120_000);
  const root = mkdtempSync(join(tmpdir(), 'tenfold-cli-faults-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('--seed beyond a safe integer is refused by name, and the ensemble writes nothing', async () => {
    refusedFast(await train(['--seed', '1e20']), 2, /--seed: expected a whole number from 0 to 9007199254740991, got "1e20"/);
    const out = join(root, 'seed-ensemble');
    refusedFast(await runChild(['scripts/ensemble.ts', '--seed', '1e20', '--out', out]), 2, /--seed: expected a whole number/);
    expect(existsSync(out)).to.equal(false);
  });

  it('--batch-size larger than the training set is refused before training', async () => {
    refusedFast(await train(['--batch-size', '70000']), 2, /--batch-size 70000 is larger than the training set \(60000 examples of mnist\)/);
  });

  it('output paths are refused before any training: under a file, a file as --out, procfs, sysfs', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'keep me');
    const cases: [readonly string[], RegExp][] = [
      [['--report', join(file, 'r.html')], /--report .*a-file\/r\.html: .*a-file is a regular file, not a directory/],
      [['--out', file], /--out .*a-file: is a regular file, not a directory/],
      [['--out', '/proc/x'], /--out \/proc\/x: .*proc file system/],
      [['--report', '/proc/x/r.html'], /--report \/proc\/x\/r\.html: .*proc file system/],
      [['--out', '/sys/x'], /--out \/sys\/x: .*sysfs/],
    ];
    for (const [args, pattern] of cases) {
      const r = await train(['--epochs', '1', ...args]);
      refusedFast(r, 2, pattern);
      expect(r.ms, 'refused within seconds, not after training').to.be.below(5000);
    }
    expect(readFileSync(file, 'utf8')).to.equal('keep me');
    refusedFast(await runChild(['scripts/ensemble.ts', '--out', '/proc/x']), 2, /--out \/proc\/x: .*proc file system/);
    refusedFast(await runChild(['scripts/evaluate.ts', '--model', 'simple-convnet', '--weights', BOOK, '--predictions', join(file, 'p.json')]), 2,
      /--predictions .*a-file is a regular file/);
  });

  it('--resume on a mistyped or empty --out exits 2; a fresh run over checkpoints exits 2 suggesting --resume', async () => {
    refusedFast(await train(['--out', join(root, 'typo'), '--resume']), 2, /--out .*typo: no such directory to resume from/);
    expect(existsSync(join(root, 'typo'))).to.equal(false);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    refusedFast(await train(['--out', empty, '--resume']), 2, /--out .*empty holds no checkpoint to resume/);
    const done = join(root, 'done');
    const first = await train([...FAULT_JOB_FLAGS, '--epochs', '1', '--out', done, '--quiet'], 60_000);
    expect(first.status, first.stderr).to.equal(0);
    const files = readdirSync(done).sort();
    refusedFast(await train([...FAULT_JOB_FLAGS, '--out', done]), 2, /--out .*done already holds checkpoints .*: pass --resume to continue that run/);
    expect(readdirSync(done).sort()).to.deep.equal(files);
  });

  it('--resume with another --seed is refused, naming the seed', async () => {
    const dir = join(root, 'seeded');
    expect((await train([...FAULT_JOB_FLAGS, '--epochs', '1', '--out', dir, '--quiet'], 60_000)).status).to.equal(0);
    refusedFast(await train([...FAULT_JOB_FLAGS, '--seed', '8', '--out', dir, '--resume'], 30_000), 2, /cannot resume a different run: the checkpoint was trained from another seed \(--seed\)/);
  });

  it('divergence without NaN stops the run (exit 1), naming where the last good state is; --max-loss 0 turns the bound off', async () => {
    const dir = join(root, 'diverged');
    const r = await train(['--model', 'mlp', '--lr', '1e6', '--epochs', '1', '--out', dir], 30_000);
    refusedFast(r, 1, /training diverged at step 1 \(epoch 1\): loss .* exceeds the bound 230\.3; no checkpoint holds a good state/);
    expect(readdirSync(dir).filter((f) => f.startsWith('ckpt-')), 'no checkpoint past the bound').to.deep.equal([]);
    const good = join(root, 'diverged-later');
    expect((await train([...FAULT_JOB_FLAGS, '--epochs', '1', '--out', good, '--quiet'], 60_000)).status).to.equal(0);
    const later = await train([...FAULT_JOB_FLAGS, '--out', good, '--resume', '--max-loss', '0.01'], 60_000);
    refusedFast(later, 1, /training diverged at step 300 .*exceeds the bound 0\.01; the last good state is in .*ckpt-e0001-s00000300\.json/);
    expect(loadCheckpoint(good).epoch).to.equal(1);
    const off = await train(['--model', 'mlp', '--lr', '1e6', '--epochs', '1', '--max-loss', '0', '--quiet'], 60_000);
    expect(off.status, off.stderr).to.equal(0);
  });

  it('two runs on one --out: one trains, the other is refused naming the holder', async () => {
    const dir = join(root, 'shared');
    mkdirSync(dir);
    const [a, b] = await Promise.all([0, 1].map(() => train([...FAULT_JOB_FLAGS, '--epochs', '1', '--out', dir, '--quiet'], 60_000)));
    const codes = [a.status, b.status].sort();
    expect(codes, a.stderr + b.stderr).to.deep.equal([0, 1]);
    expect(a.stderr + b.stderr).to.match(/is in use by process \d+/);
    expect(loadCheckpoint(dir).epoch).to.equal(1);
  });

  it('a damaged or non-finite weight file is refused by evaluate; an upper-case .NPZ is read', async () => {
    const flipped = join(root, 'flipped.npz');
    const bytes = readFileSync(BOOK);
    const mid = Math.floor(bytes.length / 2);
    for (let i = 0; i < 64; i++) bytes[mid + i] ^= 0x5a;
    writeFileSync(flipped, bytes);
    refusedFast(await runChild(['scripts/evaluate.ts', '--model', 'simple-convnet', '--weights', flipped, '--json']), 1, /flipped\.npz: W2\.npy: CRC-32 mismatch/);
    const upper = join(root, 'BOOK.NPZ');
    copyFileSync(BOOK, upper);
    const ok = await runChild(['scripts/evaluate.ts', '--model', 'simple-convnet', '--weights', upper, '--json'], { timeoutMs: 30_000 });
    expect(ok.status, ok.stderr).to.equal(0);
    expect((JSON.parse(ok.stdout.trim().split('\n').at(-1) ?? '{}') as { correct: number }).correct).to.equal(9890);
  });

  it('a full disk: the save fails naming the file, leaves no temporary file, and the last checkpoint loads', async function () {
    const disk = mountTmpfs({ sizeKiB: 256 }); // one checkpoint of the 16-unit MLP (about 150 KB), not two
    if (disk === undefined) this.skip(); // not root on Linux: output-paths.spec covers ENOSPC by injection
    try {
      const dir = join(disk.dir, 'run');
      const r = await train([...FAULT_JOB_FLAGS, '--epochs', '3', '--out', dir, '--quiet'], 60_000);
      refusedFast(r, 1, /cannot write .*run\/ckpt-e000\d-s\d+\.(bin|json): ENOSPC: no space left on device/);
      expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).to.deep.equal([]);
      expect(loadCheckpoint(dir).epoch).to.be.at.least(1);
    } finally {
      disk.unmount();
    }
  });
});
