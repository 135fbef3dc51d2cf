/** Checkpoint directories: a lost or damaged pointer recovers from the newest pair that verifies; nothing is deleted that the run did not write. */
import { expect } from 'chai';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { key } from '../../lib/random.ts';
import { runJob, type JobStorage } from '../../lib/jobs/job.ts';
import { CheckpointError, LATEST } from '../../lib/train/checkpoint.ts';
import { paramsSha256 } from '../../lib/train/hash.ts';
import { FAULT_JOB, FAULT_SEED } from '../helpers/fault-job.ts';

const rejection = async (p: Promise<unknown>): Promise<Error> => {
  try { await p; } catch (err) { return err as Error; }
  throw new Error('expected a rejection');
};

describe('faults: checkpoint directories', function () {
  this.timeout(60_000);
  const root = mkdtempSync(join(tmpdir(), 'tenfold-ckdir-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const three = { ...FAULT_JOB, epochs: 3 };
  const trained = join(root, 'trained'); // epochs 1 and 2 saved, kept both
  let straight3: string;
  let n = 0;
  const copy = (): string => { const d = join(root, `case-${++n}`); cpSync(trained, d, { recursive: true }); return d; };
  const pairs = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('ckpt-')).sort();

  before(async () => {
    await runJob(FAULT_JOB, key(FAULT_SEED), { checkpointDir: trained });
    straight3 = paramsSha256((await runJob(three, key(FAULT_SEED))).trainState.params);
  });

  const resume = async (dir: string): Promise<{ sha: string; notes: string[] }> => {
    const notes: string[] = [];
    const storage: JobStorage = { checkpointDir: dir, resume: true, onNote: (s) => notes.push(s) };
    const r = await runJob(three, key(FAULT_SEED), storage);
    return { sha: paramsSha256(r.trainState.params), notes };
  };

  it('latest.json missing: resumes from the newest pair, says so, and keeps every pair it found', async () => {
    const dir = copy();
    const before = pairs(dir);
    rmSync(join(dir, LATEST));
    const { sha, notes } = await resume(dir);
    expect(sha).to.equal(straight3);
    expect(notes.join('\n')).to.match(/resuming from .*ckpt-e0002-s00000600\.json, the newest checkpoint that verifies \(latest\.json is missing\)/);
    expect(pairs(dir)).to.include.members(before);
  });

  it('latest.json damaged: the same', async () => {
    const dir = copy();
    writeFileSync(join(dir, LATEST), '{"format": "tenfold-checkpoint-pointer", "vers');
    const { sha, notes } = await resume(dir);
    expect(sha).to.equal(straight3);
    expect(notes.join('\n')).to.match(/ckpt-e0002-s00000600\.json, the newest checkpoint that verifies \(.*latest\.json: not valid JSON/);
  });

  it('the newest pair damaged: resumes from the one before, and leaves the damaged pair on disk', async () => {
    const dir = copy();
    const bin = join(dir, 'ckpt-e0002-s00000600.bin');
    const bytes = readFileSync(bin);
    bytes[100] ^= 0xff;
    writeFileSync(bin, bytes);
    const notes: string[] = [];
    const r = await runJob({ ...FAULT_JOB }, key(FAULT_SEED), { checkpointDir: dir, resume: true, onNote: (s) => notes.push(s) });
    expect(notes.join('\n'), notes.join('\n')).to.match(/resuming from .*ckpt-e0001-s00000300\.json.*checksum mismatch/);
    expect(r.history.epochs).to.have.length(2);
    expect(pairs(dir)).to.include.members(['ckpt-e0002-s00000600.bin', 'ckpt-e0002-s00000600.json']);
  });

  it('no pair verifies: refused, naming the directory and each file, and nothing removed', async () => {
    const dir = copy();
    for (const f of pairs(dir).filter((p) => p.endsWith('.bin'))) writeFileSync(join(dir, f), 'damaged');
    const before = readdirSync(dir).sort();
    const err = await rejection(runJob(three, key(FAULT_SEED), { checkpointDir: dir, resume: true }));
    expect(err).to.be.instanceOf(CheckpointError);
    expect(err.message).to.match(/no checkpoint here verifies .*ckpt-e0002-s00000600\.bin: truncated.*ckpt-e0001-s00000300\.bin: truncated/);
    expect(readdirSync(dir).sort()).to.deep.equal(before);
  });

  it('a fresh run over checkpoints, even without latest.json, is refused; a resume of nothing too', async () => {
    const dir = copy();
    rmSync(join(dir, LATEST));
    expect((await rejection(runJob(FAULT_JOB, key(FAULT_SEED), { checkpointDir: dir }))).message)
      .to.match(/already holds checkpoints \(ckpt-e0001-s00000300\.bin, .*\): pass --resume/);
    const empty = mkdtempSync(join(root, 'empty-'));
    expect((await rejection(runJob(FAULT_JOB, key(FAULT_SEED), { checkpointDir: empty, resume: true }))).message)
      .to.match(/holds no checkpoint to resume/);
    expect(readdirSync(empty)).to.deep.equal([]);
  });

  it('a save removes only the pairs its pointer rotated out, never a pair no pointer named', async () => {
    const dir = copy();
    const stray = ['ckpt-e0009-s00009999.json', 'ckpt-e0009-s00009999.bin'];
    for (const f of stray) writeFileSync(join(dir, f), 'not ours');
    await runJob({ ...FAULT_JOB, epochs: 4 }, key(FAULT_SEED), { checkpointDir: dir, resume: true }).catch(() => undefined);
    expect(pairs(dir)).to.include.members(stray);
  });
});
