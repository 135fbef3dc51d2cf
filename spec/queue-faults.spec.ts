/**
 * The member queue under faults, on a real redis-server with an append-only file: a worker killed
 * with SIGKILL, a worker stopped with SIGTERM, a coordinator killed and started again, Redis killed
 * and restarted mid-run, a worker that cannot see --out; and where each member trained.
 * Tiny runs (one mlp member of 2 epochs, or the 480-image quadrants set) and short lock intervals.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import * as E from 'fp-ts/lib/Either.js';
import { openEnsembleDirectory } from '../lib/ensemble/directory.ts';
import { readEnsembleManifest, type EnsembleManifest } from '../lib/ensemble/manifest.ts';
import { planEnsemble } from '../lib/ensemble/plan.ts';
import { activeKernels, setKernels } from '../lib/kernels/backend.ts';
import { referenceKernels } from '../lib/kernels/reference.ts';
import { enqueueMembers, openMemberQueue, trainEnsembleOnQueue, type QueuedEnsembleRun } from '../lib/queue/coordinator.ts';
import { memberJobId } from '../lib/queue/job-id.ts';
import { watchJobs } from '../lib/queue/job-watch.ts';
import { readTrainedOnE } from '../lib/queue/trained-on.ts';
import { startMemberWorker } from '../lib/queue/worker.ts';
import { runChild } from './helpers/child.ts';
import { startChild, type LiveChild } from './helpers/live-child.ts';
import './helpers/quadrants-dataset.ts';
import { count, latestCheckpoint, snapshot, startWorker, TENFOLD, waitUntil } from './helpers/queue-fixtures.ts';
import { useRedis } from './helpers/redis.ts';
import { POOL_NODE_FLAGS } from '../lib/cli/node-flags.ts';

// a killed worker's job counts as stalled 2 s after its death, and is found within a second more
const SHORT_LOCKS = ['--lock-duration', '2000', '--stalled-interval', '1000'];

/** Every event QueueEvents tells about each job id, in order. */
const recordEvents = (events: QueueEvents): Map<string, string[]> => {
  const seen = new Map<string, string[]>();
  for (const name of ['waiting', 'active', 'stalled', 'delayed', 'failed', 'completed'] as const) {
    events.on(name, (args: { jobId: string }) => { seen.set(args.jobId, [...(seen.get(args.jobId) ?? []), name]); });
  }
  return seen;
};

const finished = (run: QueuedEnsembleRun): Extract<QueuedEnsembleRun, { stopped: false }> => {
  if (run.stopped) throw new Error('the run stopped');
  return run;
};

describe('the member queue under faults', function () {
  this.timeout(90_000);
  const redis = useRedis({ appendonly: true });
  const root = mkdtempSync(join(tmpdir(), 'tenfold-queue-faults-'));
  let children: LiveChild[] = [];
  let events: QueueEvents | undefined;
  let jobEvents = new Map<string, string[]>();
  // an in-process coordinator a failed test leaves waiting is stopped before the next test
  let coordinators: { readonly stop: AbortController; readonly run: Promise<unknown> }[] = [];
  const coordinate = (out: string, manifest: EnsembleManifest): Promise<QueuedEnsembleRun> => {
    const stop = new AbortController();
    const run = trainEnsembleOnQueue(out, manifest, { url: redis().url, pollMs: 500, signal: stop.signal });
    run.catch(() => { /* awaited by the test */ });
    coordinators.push({ stop, run });
    return run;
  };
  const queue = () => openMemberQueue(redis().url);
  const queueEvents = (): QueueEvents => {
    if (events === undefined) throw new Error('no QueueEvents: use it inside a test');
    return events;
  };

  beforeEach(async () => {
    events = new QueueEvents('tenfold-members', { connection: { url: redis().url } });
    events.on('error', () => { /* the Redis spec kills the server under it */ });
    jobEvents = recordEvents(events);
    await events.waitUntilReady();
  });
  afterEach(async function () {
    this.timeout(20_000);
    for (const c of coordinators) c.stop.abort();
    await Promise.allSettled(coordinators.map((c) => c.run));
    coordinators = [];
    for (const c of children) c.process.kill('SIGKILL');
    for (const c of children) await c.exited(5_000);
    children = [];
    await events?.close();
    const q = queue();
    await q.obliterate({ force: true });
    await q.close();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** A one-member mnist ensemble of 2 epochs (about a second or two each) in a fresh directory. */
  const mnistMember = (name: string) => {
    const out = join(root, name);
    mkdirSync(out);
    const manifest = planEnsemble('quick', 11, { members: 1, hidden: [16], epochs: 2 });
    openEnsembleDirectory(out, manifest);
    return { out, manifest, dir: join(out, 'member-1'), jobId: memberJobId(manifest, 1, out, 0) };
  };

  it('a worker killed with SIGKILL after epoch 1: its job stalls and another worker resumes it at epoch 2', async () => {
    const { out, manifest, dir, jobId } = mnistMember('sigkill');
    const a = startWorker(redis().url, SHORT_LOCKS);
    children.push(a);
    await a.waitFor(/taking members/);
    const running = coordinate(out, manifest);
    await a.waitFor(/training in/);
    const b = startWorker(redis().url, SHORT_LOCKS); // idle until A's job comes back
    children.push(b);
    await waitUntil('the epoch-1 checkpoint', () => latestCheckpoint(dir) !== undefined);
    a.process.kill('SIGKILL');
    await a.exited();
    expect(latestCheckpoint(dir)?.epoch, 'A died during epoch 2').to.equal(1);
    const run = finished(await running);
    expect(jobEvents.get(jobId)).to.include('stalled');
    expect(b.output()).to.match(/training in .*member-1/);
    expect(b.output(), `B trained epoch 2 only:\n${b.output()}\nA:\n${a.output()}`).to.match(/epoch 2\/2/).and.not.match(/epoch 1\/2/);
    expect(run.outcomes[0].resumed).to.equal(true);
    expect(run.outcomes[0].history.epochs.map((e) => e.epoch)).to.deep.equal([1, 2]);
    expect(run.trainedOn.get(0)?.length, 'two attempts recorded').to.equal(2);
  });

  it('a worker sent SIGTERM checkpoints at its next step, hands its job back unspent and exits; another resumes it', async () => {
    const { out, manifest, dir, jobId } = mnistMember('sigterm');
    const a = startWorker(redis().url);
    children.push(a);
    await a.waitFor(/taking members/);
    const running = coordinate(out, manifest);
    await waitUntil('the epoch-1 checkpoint', () => latestCheckpoint(dir) !== undefined);
    const endOfEpoch1 = latestCheckpoint(dir)?.step ?? 0;
    a.process.kill('SIGTERM');
    const exit = await a.exited(25_000); // Kubernetes waits 30 s before its SIGKILL
    expect(exit, a.output()).to.deep.include({ code: 143, timedOut: false });
    expect(a.output()).to.match(/stopped at .*ckpt-e0001-s\d+.*; handed back to the queue/);
    const stoppedAt = latestCheckpoint(dir);
    expect(stoppedAt?.epoch).to.equal(1);
    expect(stoppedAt?.step, 'a checkpoint inside epoch 2').to.be.above(endOfEpoch1);
    const q = queue();
    try {
      const job = await q.getJob(jobId);
      expect(await job?.getState()).to.equal('waiting');
      expect(job?.attemptsMade, 'no attempt spent').to.equal(0);
    } finally {
      await q.close();
    }
    const b = startWorker(redis().url);
    children.push(b);
    const run = finished(await running);
    expect(b.output()).to.match(/epoch 2\/2/).and.not.match(/epoch 1\/2/);
    expect(run.outcomes[0].resumed).to.equal(true);
    expect(jobEvents.get(jobId)).to.not.include('failed').and.not.include('delayed');
    const q2 = queue();
    try {
      expect((await q2.getJob(jobId))?.attemptsMade, 'one attempt: B\'s').to.equal(1);
    } finally {
      await q2.close();
    }
  });

  it('a coordinator killed with SIGKILL and started again re-attaches to its jobs and retrains nothing finished', async () => {
    const out = join(root, 'coordinator');
    const command = [...POOL_NODE_FLAGS, TENFOLD, 'ensemble', '--preset', 'quick', '--members', '2', '--hidden', '16', '--epochs', '1',
      '--seed', '7', '--json', '--quiet', '--out', out, '--queue', redis().url];
    const first = startWorker(redis().url);
    children.push(first);
    const coordinator = startChild(command);
    children.push(coordinator);
    await first.waitFor(/member 1\/[0-9a-f]{16}: test accuracy/);
    coordinator.process.kill('SIGKILL');
    first.process.kill('SIGTERM'); // member 2 goes back to the queue, for the next coordinator to find
    await coordinator.exited();
    expect((await first.exited(25_000)).timedOut).to.equal(false);
    const manifest = readEnsembleManifest(out);
    const member2 = memberJobId(manifest, 1, out, 1);
    const q = queue();
    try {
      expect(await (await q.getJob(member2))?.getState(), 'member 2 is queued, unfinished').to.equal('waiting');
      const member1 = snapshot(join(out, 'member-1'));
      const second = startWorker(redis().url);
      children.push(second);
      const again = await runChild(command, { timeoutMs: 60_000 });
      expect(again.status, again.stderr).to.equal(0);
      const report = JSON.parse(again.stdout.trim().split('\n').at(-1) ?? '{}') as { members: { resumed: boolean }[] };
      expect(report.members[0].resumed, 'member 1 read from --out').to.equal(true);
      expect(snapshot(join(out, 'member-1')), 'member 1 untouched').to.deep.equal(member1);
      expect(second.output()).to.include(`member-2 (job ${member2},`).and.not.match(/training in \S*member-1 /);
      const counts = await q.getJobCounts('completed', 'waiting', 'active', 'delayed', 'failed');
      expect(counts, 'one job per member: none added twice').to.deep.equal({ completed: 2, waiting: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      await q.close();
    }
  });

  it('Redis killed with SIGKILL mid-run and restarted: the worker and the coordinator reconnect and the run completes', async () => {
    const out = join(root, 'redis-restart');
    const command = [...POOL_NODE_FLAGS, TENFOLD, 'ensemble', '--preset', 'quick', '--members', '1', '--hidden', '16', '--epochs', '2',
      '--seed', '13', '--json', '--quiet', '--out', out, '--queue', redis().url];
    const worker = startWorker(redis().url);
    children.push(worker);
    await worker.waitFor(/taking members/);
    const coordinator = startChild(command);
    children.push(coordinator);
    const dir = join(out, 'member-1');
    await waitUntil('the epoch-1 checkpoint', () => latestCheckpoint(dir) !== undefined);
    await redis().kill();
    await coordinator.waitFor(/Redis at \S+ does not answer/, 20_000);
    await worker.waitFor(/worker: .*(ECONNREFUSED|ECONNRESET|Connection is closed)/, 20_000);
    await redis().restart();
    const exit = await coordinator.exited(60_000);
    expect(exit, coordinator.output()).to.deep.include({ code: 0, timedOut: false });
    const report = JSON.parse(coordinator.output().trim().split('\n').filter((l) => l.startsWith('{')).at(-1) ?? '{}') as { members: { testAccuracy: number }[] };
    expect(report.members).to.have.length(1);
    expect(worker.output()).to.match(/member 1\/[0-9a-f]{16}: test accuracy/);
    expect(count(worker.output(), /training in /g), 'trained once, not again after the restart').to.equal(1);
  });

  it('a worker that cannot see --out fails the job at once, saying so', async () => {
    const manifest = planEnsemble('quick', 3, { members: 1, hidden: [16] });
    const q = queue();
    const w = startMemberWorker({ url: redis().url });
    try {
      const [{ job }] = await enqueueMembers(q, join(root, 'not-on-this-host'), manifest, 1);
      const failure = await job.waitUntilFinished(queueEvents()).then(() => 'completed', (err: Error) => err.message);
      expect(failure).to.match(/not-on-this-host\/ensemble\.json is not on this host: --out must be on a file system that the coordinator and every worker share, at the same path/);
      const after = await q.getJob(job.id ?? '');
      expect(after?.attemptsMade, 'not retried').to.equal(1);
      expect(await after?.getState()).to.equal('failed');
    } finally {
      await w.stop();
      await q.close();
    }
  });

  it('each member records its kernels and CPU; the coordinator warns when members trained on different kernels', async () => {
    const out = join(root, 'kernels');
    mkdirSync(out);
    const manifest = planEnsemble('quick', 5, { members: 2, hidden: [16], epochs: 1, dataset: 'quadrants' });
    openEnsembleDirectory(out, manifest);
    const fast = activeKernels().name;
    const q = queue();
    // member 1 on the reference kernels, then member 2 on this process's own
    const previous = setKernels(referenceKernels);
    try {
      const w = startMemberWorker({ url: redis().url });
      try {
        const [{ job }] = await enqueueMembers(q, out, manifest, 1, [0]);
        await job.waitUntilFinished(queueEvents());
      } finally {
        await w.stop();
      }
    } finally {
      setKernels(previous);
      await q.close();
    }
    const warnings: string[] = [];
    const w = startMemberWorker({ url: redis().url });
    try {
      const run = finished(await trainEnsembleOnQueue(out, manifest, { url: redis().url, onWarning: (s) => warnings.push(s) }));
      expect(run.trainedOn.get(0)?.map((a) => a.kernels)).to.deep.equal(['reference']);
      expect(run.trainedOn.get(1)?.map((a) => a.kernels)).to.deep.equal([fast]);
      const record = readTrainedOnE(join(out, 'member-2'));
      if (E.isLeft(record)) throw record.left;
      expect(record.right[0].cpu).to.be.a('string').and.not.equal('');
      expect(record.right[0].cores).to.be.above(0);
      const line = `members trained on different kernels (member 1 on reference, member 2 on ${fast})`;
      expect(warnings.filter((s) => s.includes(line)), warnings.join('\n')).to.have.length(1);
      expect(run.warnings.some((s) => s.includes(line))).to.equal(true);
    } finally {
      await w.stop();
    }
  });
});

describe('watching member jobs (watchJobs)', function () {
  this.timeout(20_000);
  const redis = useRedis();

  it('finds a completion by polling when no event arrives, and a job that is gone', async () => {
    const name = 'tenfold-spec-watch';
    const q = new Queue<{ readonly n: number }>(name, { connection: { url: redis().url } });
    // events of another queue: this queue's completion can only be found by the poll
    const deaf = new QueueEvents('tenfold-spec-elsewhere', { connection: { url: redis().url } });
    const worker = new Worker(name, () => Promise.resolve({ answer: 42 }), { connection: { url: redis().url, maxRetriesPerRequest: null } });
    try {
      await deaf.waitUntilReady();
      const job = await q.add('x', { n: 1 }, { jobId: 'watched' });
      const watch = watchJobs(q, deaf, [job.id ?? '', 'never-added'], { url: redis().url, pollMs: 100, unreachableMs: 10_000 });
      try {
        expect(await watch.end('watched')).to.deep.equal({ kind: 'completed', value: { answer: 42 } });
        expect(await watch.end('never-added')).to.deep.equal({ kind: 'missing' });
      } finally {
        watch.close();
      }
    } finally {
      await worker.close();
      await deaf.close();
      await q.obliterate({ force: true });
      await q.close();
    }
  });

  it('stops waiting, naming the URL, once Redis has not answered for unreachableMs', async () => {
    const server = redis();
    const q = openMemberQueue(server.url, 'tenfold-spec-unreachable');
    const events = new QueueEvents('tenfold-spec-unreachable', { connection: { url: server.url } });
    const warnings: string[] = [];
    // the server is killed below: watchJobs tells of it
    q.on('error', () => undefined);
    events.on('error', () => undefined);
    try {
      await events.waitUntilReady();
      await server.kill();
      const watch = watchJobs(q, events, ['some-job'], { url: server.url, pollMs: 100, unreachableMs: 1_000, onWarning: (s) => warnings.push(s) });
      try {
        const failure = await watch.unreachable.then(() => 'no error', (err: Error) => err.message);
        expect(failure).to.match(new RegExp(`Redis at ${server.url} has not answered for \\d+ s .*the same command waits for them again`));
        expect(warnings.join('\n')).to.match(/does not answer/);
      } finally {
        watch.close();
      }
    } finally {
      await server.restart();
      await events.close();
      await q.close();
    }
  });
});
