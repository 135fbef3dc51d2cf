import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMAND_NODE_FLAGS, missingSettings, POOL_NODE_FLAGS, TRAINING_MALLOC_ENV, TRAINING_NODE_FLAGS } from '../lib/cli/node-flags.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (script: string, args: readonly string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, TENFOLD_BACKEND: 'reference' } });

describe('train --json', () => {
  it('ends with one JSON line that holds accuracy and the process memory after each epoch', function () {
    this.timeout(60000);
    const r = run('scripts/train.ts', ['--model', 'mlp', '--hidden', '10', '--epochs', '2', '--train-eval-limit', '1000', '--json', '--quiet']);
    expect(r.status, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
    expect(summary.testAccuracy).to.be.within(0.8, 1);
    const rss = summary.rssMBAfterEpoch as number[];
    expect(rss).to.have.length(2);
    for (const mb of rss) expect(mb).to.be.within(20, 4000);
    expect(summary.peakRssMB).to.be.at.least(Math.max(...rss));
  });
});

describe('command-line scripts refuse bad input', () => {
  it('train: unknown flag → usage and exit 2', () => {
    const r = run('scripts/train.ts', ['--bogus']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/Unknown option '--bogus'/);
    expect(r.stderr).to.match(/usage: npm run train/);
  });

  it('train: bad values name the flag and what was expected', () => {
    const r = run('scripts/train.ts', ['--lr', 'fast']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--lr: expected a number > 0, got "fast"/);
    const m = run('scripts/train.ts', ['--model', 'resnet9000']);
    expect(m.stderr).to.match(/--model: expected one of mlp/);
    const a = run('scripts/train.ts', ['--augment', 'flip']);
    expect(a.status).to.equal(1);
    expect(a.stderr).to.match(/"flip" does not preserve mnist labels/);
  });

  it('train: --resume without --out is refused', () => {
    const r = run('scripts/train.ts', ['--resume']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--resume needs --out/);
  });

  it('ensemble: bad flags are refused', () => {
    const r = run('scripts/ensemble.ts', ['--members', '0']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--members: expected a whole number ≥ 1, got "0"/);
  });
});

describe('the training commands\' Node flags and environment', () => {
  it('the npm scripts of the commands go through the tenfold command, which re-starts Node with them', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of Object.keys(COMMAND_NODE_FLAGS)) expect(scripts[name], name).to.equal(`node --import tsx lib/cli/tenfold.ts ${name}`);
  });

  it('re-starts with only what is missing, keeps a malloc setting the user chose, and leaves other commands alone', () => {
    const all = missingSettings('ensemble', [], {});
    expect(all?.flags).to.deep.equal(POOL_NODE_FLAGS);
    expect(all?.env).to.deep.equal(TRAINING_MALLOC_ENV);
    const some = missingSettings('train', ['--no-incremental-marking'], { MALLOC_TRIM_THRESHOLD_: '0' });
    expect(some).to.deep.equal({ flags: [], env: { MALLOC_MMAP_THRESHOLD_: TRAINING_MALLOC_ENV.MALLOC_MMAP_THRESHOLD_ } });
    expect(missingSettings('train', [...TRAINING_NODE_FLAGS], { ...TRAINING_MALLOC_ENV })).to.equal(undefined);
    expect(missingSettings('export', [], {})).to.equal(undefined);
  });

  it('a re-started command gets its arguments, and its exit code and message come back', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'lib', 'cli', 'tenfold.ts'), 'train', '--model', 'nope'],
      { cwd: root, encoding: 'utf8' });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--model/);
  });
});
