/** claimDirectory: one live process per run directory; stale claims are taken over. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimDirectory, LOCK_FILE, TAKEOVER_FILE } from '../lib/jobs/lock.ts';

/** The pid of a process of this host that has exited. */
const deadPid = (): number =>
  Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('claimDirectory', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tenfold-lock-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const lock = (): string => join(dir, LOCK_FILE);

  it('writes a JSON claim of this process, refuses a second claim naming the holder, and frees the directory on release', () => {
    const release = claimDirectory(dir);
    const claim = JSON.parse(readFileSync(lock(), 'utf8')) as Record<string, unknown>;
    expect(claim.pid).to.equal(process.pid);
    expect(claim.host).to.equal(hostname());
    expect(claim.token).to.match(/^[0-9a-f]{32}$/);
    expect(Date.parse(String(claim.startedAt))).to.be.closeTo(Date.now(), 60_000);
    expect(() => claimDirectory(dir)).to.throw(new RegExp(`^${dir} is in use by process ${process.pid} on .*${LOCK_FILE}`));
    release();
    expect(readdirSync(dir)).to.deep.equal([]); // no lock, no temporary file left
    claimDirectory(dir)();
  });

  it('takes over a claim whose process has exited (old plain pid and JSON), and one that is not a claim', () => {
    const dead = deadPid();
    for (const stale of [`${dead}\n`, JSON.stringify({ pid: dead, host: hostname(), token: 'ab', startedAt: '2020-01-01T00:00:00Z' }),
      'garbage', '', '{"pid":']) {
      writeFileSync(lock(), stale);
      const release = claimDirectory(dir);
      expect((JSON.parse(readFileSync(lock(), 'utf8')) as { pid: number }).pid).to.equal(process.pid);
      release();
      expect(readdirSync(dir)).to.deep.equal([]);
    }
  });

  it('counts an old plain-pid file of a live process as its claim', () => {
    writeFileSync(lock(), `${process.pid}\n`);
    expect(() => claimDirectory(dir)).to.throw(`in use by process ${process.pid}`);
    expect(readFileSync(lock(), 'utf8')).to.equal(`${process.pid}\n`);
  });

  it('never takes over a claim from another host, naming the host and pid', () => {
    writeFileSync(lock(), JSON.stringify({ pid: deadPid(), host: 'elsewhere.example', token: 'ab', startedAt: '2020-01-01T00:00:00Z' }));
    expect(() => claimDirectory(dir)).to.throw(new RegExp(`${dir} is in use by process \\d+ on elsewhere\\.example`));
    expect(readFileSync(lock(), 'utf8')).to.include('elsewhere.example');
  });

  it('release leaves alone a lock that no longer holds its token', () => {
    const release = claimDirectory(dir);
    const other = JSON.stringify({ pid: process.pid, host: hostname(), token: 'other', startedAt: new Date().toISOString() });
    writeFileSync(lock(), other);
    release();
    expect(readFileSync(lock(), 'utf8')).to.equal(other);
  });

  it('clears an old takeover lock left by a dead process before taking over a stale claim', () => {
    const takeover = join(dir, TAKEOVER_FILE);
    writeFileSync(takeover, JSON.stringify({ pid: deadPid(), host: hostname(), token: 'ab', startedAt: '2020-01-01T00:00:00Z' }));
    utimesSync(takeover, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    writeFileSync(lock(), 'garbage');
    claimDirectory(dir)();
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('refuses a missing directory, naming it, and does not create it', () => {
    const nested = join(dir, 'a', 'b');
    expect(() => claimDirectory(nested)).to.throw(`cannot claim ${nested}: it does not exist`);
    expect(existsSync(join(dir, 'a'))).to.equal(false);
    writeFileSync(join(dir, 'file'), '');
    expect(() => claimDirectory(join(dir, 'file'))).to.throw('is not a directory');
  });
});
