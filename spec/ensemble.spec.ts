import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claimDirectory, LOCK_FILE } from '../lib/jobs/lock.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (script: string, args: readonly string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8' });
  return { ...r, json: () => JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown> };
};

describe('ensemble script (2 small MLP members, 1 epoch)', function () {
  this.timeout(300_000);
  const out = mkdtempSync(join(tmpdir(), 'tenfold-ensemble-'));
  after(() => rmSync(out, { recursive: true, force: true }));
  const args = ['--preset', 'quick', '--members', '2', '--hidden', '32', '--out', out, '--json', '--quiet'];
  let first: Record<string, unknown>;

  it('trains the members on workers and reports member, ensemble and vote accuracy', () => {
    const r = run('scripts/ensemble.ts', args);
    expect(r.status, r.stderr).to.equal(0);
    first = r.json();
    const members = first.members as { testAccuracy: number; resumed: boolean; seconds: number }[];
    expect(members).to.have.length(2);
    for (const m of members) {
      expect(m.testAccuracy).to.be.within(0.85, 1);
      expect(m.resumed).to.equal(false);
    }
    expect(first.ensembleAccuracy).to.be.a('number').within(0.85, 1);
    expect(first.voteAccuracy).to.be.a('number').within(0.85, 1);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).to.match(/<svg/);
  });

  it('run again with the same flags, it loads the finished members instead of retraining', () => {
    const again = run('scripts/ensemble.ts', args).json();
    const members = again.members as { testAccuracy: number; resumed: boolean }[];
    expect(members.every((m) => m.resumed)).to.equal(true);
    expect(again.ensembleAccuracy).to.equal(first.ensembleAccuracy);
  });

  it('evaluate --ensemble measures the saved ensemble the same way', () => {
    const r = run('scripts/evaluate.ts', ['--ensemble', out, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.json().ensembleAccuracy).to.equal(first.ensembleAccuracy);
  });

  it('evaluate --weights measures one member\'s checkpoint, timing loading and inference apart', () => {
    const r = run('scripts/evaluate.ts', ['--weights', join(out, 'member-1'), '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const e = r.json();
    expect(e.testAccuracy).to.equal((first.members as { testAccuracy: number }[])[0].testAccuracy);
    expect(e.inferenceSeconds).to.be.a('number').above(0);
    expect((e.loadSeconds as number) + (e.inferenceSeconds as number)).to.be.at.most(e.seconds as number);
  });

  it('refuses an --out that another live run holds, naming its pid, and leaves it untouched', () => {
    const before = readFileSync(join(out, 'ensemble.json'), 'utf8');
    const release = claimDirectory(out);
    try {
      const busy = run('scripts/ensemble.ts', args);
      expect(busy.status).to.equal(1);
      expect(busy.stderr).to.match(new RegExp(`is in use by process ${process.pid}`));
      expect(readFileSync(join(out, 'ensemble.json'), 'utf8')).to.equal(before);
    } finally {
      release();
    }
  });

  it('refuses to resume with different flags, and a corrupt ensemble.json, naming the problem', () => {
    const other = run('scripts/ensemble.ts', [...args, '--epochs', '2']);
    expect(other.status).to.equal(2);
    expect(other.stderr).to.match(/ensemble\.json describes a different ensemble \(members\.0\.config\.epochs is 1 there but 2 now\)/);
    writeFileSync(join(out, 'ensemble.json'), '{"format":"tenfold-ensemble","version":1,"seed":"one","members":[]}');
    const bad = run('scripts/evaluate.ts', ['--ensemble', out]);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.match(/ensemble.json: field "seed"/);
  });
});

describe('the ensemble directory\'s claim is a lease', function () {
  this.timeout(300_000);
  let out: string;
  beforeEach(() => { out = mkdtempSync(join(tmpdir(), 'tenfold-ensemble-lease-')); });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('a coordinator killed outright in another container frees --out once its lease has run out; the same command then resumes', async () => {
    const args = ['--preset', 'quick', '--members', '2', '--hidden', '16', '--out', out, '--json', '--quiet'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/ensemble.ts', ...args], { cwd: root, stdio: 'ignore' });
    const lock = join(out, LOCK_FILE);
    const claim = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const poll = setInterval(() => {
        try { resolve(JSON.parse(readFileSync(lock, 'utf8')) as Record<string, unknown>); clearInterval(poll); } catch { /* not yet */ }
      }, 20);
      child.on('exit', () => { clearInterval(poll); reject(new Error('the ensemble ended before it claimed --out')); });
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(claim.pid).to.equal(child.pid);
    expect(Date.parse(String(claim.expiresAt)) - Date.now(), 'a lease of about a minute').to.be.within(30_000, 61_000);
    // what another container sees a minute later: a claim from a host it cannot ask, expired
    const other = { ...claim, host: 'coordinator-0.example', expiresAt: new Date(Date.now() - 1000).toISOString() };
    writeFileSync(lock, `${JSON.stringify(other)}\n`);
    const r = run('scripts/ensemble.ts', args);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.json().ensembleAccuracy).to.be.within(0.8, 1);
    expect(existsSync(lock), 'released at the end').to.equal(false);
  });

  it('a live lease from another host is refused, naming the host', () => {
    const live = { pid: 1, host: 'coordinator-0.example', token: 'x', startedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() };
    writeFileSync(join(out, LOCK_FILE), `${JSON.stringify(live)}\n`);
    const r = run('scripts/ensemble.ts', ['--preset', 'quick', '--members', '1', '--hidden', '8', '--out', out, '--quiet']);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/is in use by process 1 on coordinator-0\.example/);
  });
});
