/**
 * Ensemble members as BullMQ jobs on a real redis-server (spec/helpers/redis.ts): a queued run
 * gives the parameters and figures of a local one, enqueuing is idempotent, training does not
 * stall the job's lock, and member directories are held by leases that only expire when not
 * renewed. Faults (killed workers, coordinator, Redis) are in queue-faults.spec.ts.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { openEnsembleDirectory } from '../lib/ensemble/directory.ts';
import { planEnsemble } from '../lib/ensemble/plan.ts';
import { claimDirectory, LOCK_FILE } from '../lib/jobs/lock.ts';
import { enqueueMembers, openMemberQueue, trainEnsembleOnQueue } from '../lib/queue/coordinator.ts';
import { memberJobId } from '../lib/queue/job-id.ts';
import { findResumable } from '../lib/train/checkpoint.ts';
import { paramsSha256 } from '../lib/train/hash.ts';
import { startMemberWorker } from '../lib/queue/worker.ts';
import { runChild } from './helpers/child.ts';
import { startChild, type LiveChild } from './helpers/live-child.ts';
import { useRedis } from './helpers/redis.ts';

const TENFOLD = 'lib/cli/tenfold.ts';
const FLAGS = ['--preset', 'quick', '--members', '2', '--hidden', '16', '--seed', '3', '--json', '--quiet'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Report {
  readonly members: readonly { readonly testAccuracy: number; readonly resumed: boolean; readonly trainedOn?: readonly { readonly kernels: string }[] }[];
  readonly ensembleAccuracy: number; readonly voteAccuracy: number; readonly kernels: string; readonly warnings?: readonly string[];
}
const lastJson = (stdout: string): Report => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Report;

describe('ensemble members through a Redis queue', function () {
  this.timeout(120_000);
  const redis = useRedis();
  const root = mkdtempSync(join(tmpdir(), 'tenfold-queue-'));
  const workers: LiveChild[] = [];
  after(async () => {
    for (const w of workers) w.process.kill('SIGTERM');
    for (const w of workers) await w.exited(5_000);
    rmSync(root, { recursive: true, force: true });
  });

  let local: Report;
  let queued: Report;
  it('two `tenfold worker`s train the members to the same parameters (bit for bit) and accuracies as a local run', async () => {
    // one kernel thread each: two workers share 2 cores, as the local pool's threads do
    for (let i = 0; i < 2; i++) workers.push(startChild([TENFOLD, 'worker', '--queue', redis().url], { TENFOLD_THREADS: '1' }));
    const l = await runChild([TENFOLD, 'ensemble', ...FLAGS, '--out', join(root, 'local')], { timeoutMs: 60_000 });
    expect(l.status, l.stderr).to.equal(0);
    local = lastJson(l.stdout);
    for (const w of workers) await w.waitFor(/taking members/);
    const q = await runChild([TENFOLD, 'ensemble', ...FLAGS, '--out', join(root, 'queued'), '--queue', redis().url], { timeoutMs: 60_000 });
    expect(q.status, q.stderr).to.equal(0);
    queued = lastJson(q.stdout);
    expect(queued.members.map((m) => m.testAccuracy)).to.deep.equal(local.members.map((m) => m.testAccuracy));
    expect(queued.ensembleAccuracy).to.equal(local.ensembleAccuracy);
    expect(queued.voteAccuracy).to.equal(local.voteAccuracy);
    // bit for bit: every member's parameters hash the same as the local run's
    const hashes = (run: string): string[] => [1, 2].map((i) => {
      const found = findResumable(join(root, run, `member-${i}`));
      if (found === undefined) throw new Error(`${run}/member-${i}: no checkpoint`);
      return paramsSha256(found.checkpoint.params);
    });
    expect(hashes('queued')).to.deep.equal(hashes('local'));
    // each member records the kernels it trained on (the workers', here the same as the local run's): no warning
    expect(queued.members.map((m) => m.trainedOn?.map((a) => a.kernels))).to.deep.equal([[local.kernels], [local.kernels]]);
    expect(queued.warnings).to.deep.equal([]);
    // both workers took a member (each waits on the queue; neither takes two while the other is idle)
    for (const w of workers) expect(w.output()).to.match(/member \d\/[0-9a-f]{16}: test accuracy/);
  });

  it('run again, it reads the finished members from --out and reports the same figures', async () => {
    const q = await runChild([TENFOLD, 'ensemble', ...FLAGS, '--out', join(root, 'queued'), '--queue', redis().url], { timeoutMs: 60_000 });
    expect(q.status, q.stderr).to.equal(0);
    const again = lastJson(q.stdout);
    expect(again.members.every((m) => m.resumed)).to.equal(true);
    expect(again.ensembleAccuracy).to.equal(queued.ensembleAccuracy);
  });

  it('refuses an ensemble whose members come from runs (snapshots, SWA): a job trains one independent member', async () => {
    const manifest = planEnsemble('quick', 1, { members: 3, epochs: 6, method: ['snapshot', 'swa'] });
    const out = join(root, 'snapshots');
    mkdirSync(out);
    let message = '';
    await trainEnsembleOnQueue(out, manifest, { url: redis().url }).catch((e: unknown) => { message = (e as Error).message; });
    expect(message).to.match(/members come from runs \(method snapshot,swa\).*the queue takes independent members/);
  });

  it('enqueuing twice is harmless: the same job ids, one job per member; another --out gets other ids', async () => {
    const queue = openMemberQueue(redis().url, 'tenfold-spec-twice');
    try {
      const manifest = planEnsemble('quick', 3, { members: 2, hidden: [16] });
      const out = join(root, 'twice');
      const first = await enqueueMembers(queue, out, manifest, 1);
      const second = await enqueueMembers(queue, out, manifest, 1);
      const ids = first.map((j) => j.job.id);
      expect(second.map((j) => j.job.id)).to.deep.equal(ids);
      expect(ids).to.deep.equal([0, 1].map((i) => memberJobId(manifest, 1, out, i)));
      for (const id of ids) expect(id).to.match(/^tenfold-[0-9a-f]{16}-[0-9a-f]{12}-m\d$/);
      expect((await queue.getJobCounts('waiting')).waiting).to.equal(2);
      const other = await enqueueMembers(queue, join(root, 'elsewhere'), manifest, 1);
      expect(other.map((j) => j.job.id).filter((id) => ids.includes(id))).to.deep.equal([]);
      expect((await queue.getJobCounts('waiting')).waiting).to.equal(4);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('a member training for over 3 lock durations does not stall: the lock and the lease are renewed, one completion', async () => {
    const queueName = 'tenfold-spec-stall';
    const out = join(root, 'stall');
    mkdirSync(out);
    const manifest = planEnsemble('quick', 3, { members: 1, hidden: [16], epochs: 24 });
    openEnsembleDirectory(out, manifest);
    const events = new QueueEvents(queueName, { connection: { url: redis().url } });
    const seen = { stalled: 0, completed: 0, failed: 0, workerStalled: 0 };
    events.on('stalled', () => { seen.stalled++; });
    events.on('completed', () => { seen.completed++; });
    events.on('failed', () => { seen.failed++; });
    const lockDuration = 2000; // an epoch's end (evaluation, a synced checkpoint) must fit well inside it, even on a loaded machine
    const w = startMemberWorker({ url: redis().url, queueName, lockDuration, stalledInterval: lockDuration, leaseMs: 1800 });
    w.worker.on('stalled', () => { seen.workerStalled++; });
    const expiries: number[] = [];
    const sampler = setInterval(() => {
      try {
        expiries.push(Date.parse((JSON.parse(readFileSync(join(out, 'member-1', LOCK_FILE), 'utf8')) as { expiresAt: string }).expiresAt));
      } catch { /* not claimed yet, or released */ }
    }, 400);
    try {
      await events.waitUntilReady();
      const run = await trainEnsembleOnQueue(out, manifest, { url: redis().url, queueName });
      if (run.stopped) throw new Error('the run stopped');
      const { seconds } = run.outcomes[0]; // as the worker measured it
      expect(seconds, 'the member must outlast 3 lock durations').to.be.above(3 * lockDuration / 1000);
      await sleep(lockDuration + 500); // a stalled check after the end would still report a stall
      expect(seen).to.deep.equal({ stalled: 0, completed: 1, failed: 0, workerStalled: 0 });
      expect(new Set(expiries).size, 'the lease was renewed').to.be.above(2);
      console.log(`      (member trained ${seconds.toFixed(1)} s under a ${lockDuration / 1000} s lock; ${expiries.length} lease samples)`);
    } finally {
      clearInterval(sampler);
      await w.stop();
      await events.close();
    }
  });
});

describe('member leases (claimDirectory with leaseMs)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tenfold-lease-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('another host never takes over a renewed lease, and takes over an expired one', async () => {
    const a = claimDirectory(dir, { leaseMs: 300, host: 'host-a.example' });
    const renewal = setInterval(() => { a.renew(); }, 100);
    try {
      for (let i = 0; i < 10; i++) { // 1 s: over 3 lease lengths, held all along by renewals
        expect(() => claimDirectory(dir, { leaseMs: 300, host: 'host-b.example' })).to.throw(/in use by process \d+ on host-a\.example/);
        await sleep(100);
      }
    } finally {
      clearInterval(renewal);
    }
    await sleep(400); // A stops renewing (a hung or vanished host): its lease runs out
    const b = claimDirectory(dir, { leaseMs: 300, host: 'host-b.example' });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).to.include({ host: 'host-b.example' });
    expect(a.renew(), 'A learns it lost the lease').to.equal(false);
    a.release(); // leaves B's claim alone
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).to.include({ host: 'host-b.example' });
    expect(b.renew()).to.equal(true);
    b.release();
  });

  it('this host takes over an expired lease of a live process; a claim without a lease from another host stays live', async () => {
    const a = claimDirectory(dir, { leaseMs: 100 });
    await sleep(200);
    const b = claimDirectory(dir, { leaseMs: 1000 }); // same pid (alive), but its lease ran out
    expect(a.renew()).to.equal(false);
    b();
    const c = claimDirectory(dir, { host: 'host-c.example' });
    await sleep(150);
    expect(() => claimDirectory(dir, { leaseMs: 100, host: 'host-d.example' })).to.throw(/on host-c\.example/);
    c();
  });
});
