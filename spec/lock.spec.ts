/** claimDirectory: one live process per run directory; stale claims are taken over. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimDirectory, LOCK_FILE } from '../lib/run/lock.ts';

describe('claimDirectory', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tenfold-lock-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes this pid, refuses a second claim naming the holder, and frees the directory on release', () => {
    const release = claimDirectory(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).to.equal(String(process.pid));
    expect(() => claimDirectory(dir)).to.throw(new RegExp(`in use by process ${process.pid}.*${LOCK_FILE}`));
    release();
    expect(existsSync(join(dir, LOCK_FILE))).to.equal(false);
    claimDirectory(dir)();
  });

  it('takes over a claim whose process has exited, and one that names no pid', () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, LOCK_FILE), `${child.stdout}\n`);
    const release = claimDirectory(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).to.equal(String(process.pid));
    release();
    writeFileSync(join(dir, LOCK_FILE), 'garbage');
    claimDirectory(dir)();
  });

  it('creates a missing directory', () => {
    const nested = join(dir, 'a', 'b');
    claimDirectory(nested)();
    expect(existsSync(nested)).to.equal(true);
  });
});
