/** A real SIGKILL at each of the six points of a save leaves the last checkpoint whole, and resume is bit for bit. */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { key } from '../../lib/random.ts';
import { runJob } from '../../lib/jobs/job.ts';
import { loadCheckpoint, SAVE_POINTS } from '../../lib/train/checkpoint.ts';
import { paramsSha256 } from '../../lib/train/hash.ts';
import { runChild } from '../helpers/child.ts';
import { FAULT_JOB, FAULT_SEED } from '../helpers/fault-job.ts';

describe('faults: SIGKILL at each point of a save', function () {
  this.timeout(60_000);
  const root = mkdtempSync(join(tmpdir(), 'tenfold-crash-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let straight: string;
  before(async () => { straight = paramsSha256((await runJob(FAULT_JOB, key(FAULT_SEED))).trainState.params); });

  for (const point of SAVE_POINTS) {
    it(`killed at "${point}" of the second save: the checkpoint loads, and resuming ends with the uninterrupted weights`, async () => {
      const dir = join(root, point.replace(' ', '-'));
      mkdirSync(dir);
      const child = await runChild(['spec/helpers/crash-at-save.ts', dir, point, '2'], { timeoutMs: 30_000 });
      expect(child.signal, child.stderr).to.equal('SIGKILL');
      // before the pointer's rename the first checkpoint is current; after it, the second
      expect(loadCheckpoint(dir).epoch).to.equal(point === 'pointer renamed' ? 2 : 1);
      const resumed = await runJob(FAULT_JOB, key(FAULT_SEED), { checkpointDir: dir, resume: true });
      expect(resumed.resumed).to.equal(true);
      expect(paramsSha256(resumed.trainState.params)).to.equal(straight);
      expect(readdirSync(dir).filter((f) => f.includes('.tmp-')), 'temporary files swept').to.deep.equal([]);
    });
  }
});
