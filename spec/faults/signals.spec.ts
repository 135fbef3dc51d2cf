/** SIGINT and SIGTERM: a checkpoint at the next step, the lock released, exit 130 / 143; a second signal exits at once. */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE } from '../../lib/jobs/lock.ts';
import { loadCheckpoint } from '../../lib/train/checkpoint.ts';
import { runChild } from '../helpers/child.ts';
import { FAULT_JOB_FLAGS } from '../helpers/fault-job.ts';
import { startChild } from '../helpers/live-child.ts';

const lastJson = (out: string): Record<string, unknown> => JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;

describe('faults: signals during training', function () {
  this.timeout(120_000);
  const root = mkdtempSync(join(tmpdir(), 'tenfold-signal-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let straight: unknown;
  before(async () => {
    const r = await runChild(['scripts/train.ts', ...FAULT_JOB_FLAGS, '--json', '--quiet'], { timeoutMs: 60_000 });
    straight = lastJson(r.stdout).paramsSha256;
  });

  for (const [name, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`train: ${name} mid-epoch checkpoints that step, frees --out and exits ${code}; --resume ends with the uninterrupted weights`, async () => {
      const out = join(root, name);
      const child = startChild(['scripts/train.ts', ...FAULT_JOB_FLAGS, '--out', out]);
      await child.waitFor(/step \d+\/300/);
      child.process.kill(name);
      const end = await child.exited();
      expect(end.code, child.output()).to.equal(code);
      expect(child.output()).to.match(new RegExp(`${name}: stopping at the next step, checkpoint in ${out}`));
      expect(child.output()).to.match(/stopped at step \d+; saved .*ckpt-e000\d-s\d+\.json: continue with --resume/);
      expect(existsSync(join(out, LOCK_FILE)), 'lock released').to.equal(false);
      const saved = loadCheckpoint(out);
      expect(saved.step).to.be.above(0);
      const resumed = await runChild(['scripts/train.ts', ...FAULT_JOB_FLAGS, '--out', out, '--resume', '--json', '--quiet'], { timeoutMs: 60_000 });
      expect(resumed.status, resumed.stderr).to.equal(0);
      expect(lastJson(resumed.stdout).paramsSha256).to.equal(straight);
    });
  }

  it('train: a second signal exits at once, freeing --out and leaving the last checkpoint whole', async () => {
    const out = join(root, 'twice');
    const child = startChild(['scripts/train.ts', ...FAULT_JOB_FLAGS, '--epochs', '20', '--out', out]);
    await child.waitFor(/epoch 1\/20 +loss .* train /); // one checkpoint written
    child.process.kill('SIGTERM');
    child.process.kill('SIGTERM');
    const end = await child.exited(10_000);
    expect(end.timedOut).to.equal(false);
    expect(end.code).to.equal(143);
    expect(existsSync(join(out, LOCK_FILE))).to.equal(false);
    // the first signal may have saved a step of epoch 2 before the second came: either way it loads
    expect(loadCheckpoint(out).step).to.be.at.least(300);
  });

  it('ensemble: SIGINT stops every member at a checkpoint and exits 130; the same command then resumes them', async () => {
    const out = join(root, 'ensemble');
    const args = ['scripts/ensemble.ts', '--preset', 'quick', '--members', '2', '--hidden', '16', '--epochs', '2', '--out', out];
    const child = startChild(args);
    await child.waitFor(/member 2\/2 .*step \d+/);
    child.process.kill('SIGINT');
    const end = await child.exited();
    expect(end.code, child.output()).to.equal(130);
    expect(child.output()).to.match(/stopped: member 1 at .*member-1.*ckpt-.*member 2 at .*member-2.*ckpt-/);
    expect(existsSync(join(out, LOCK_FILE))).to.equal(false);
    for (const m of ['member-1', 'member-2']) expect(loadCheckpoint(join(out, m)).step).to.be.above(0);
    const again = await runChild([...args, '--json', '--quiet'], { timeoutMs: 90_000 });
    expect(again.status, again.stderr).to.equal(0);
    const members = lastJson(again.stdout).members as { resumed: boolean; testAccuracy: number }[];
    expect(members.map((m) => m.resumed)).to.deep.equal([true, true]);
    for (const m of members) expect(m.testAccuracy).to.be.above(0.85);
  });
});
