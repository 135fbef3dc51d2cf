/**
 * `tenfold search --queue`: trials as BullMQ jobs on a real redis-server, trained by `tenfold
 * worker`s to the very trials of a local search, read back from --out when run again (nothing
 * enqueued), never touching the test set; and a worker that cannot see --out fails the job.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { startMemberWorker } from '../lib/queue/worker.ts';
import { readSearchManifest } from '../lib/search/manifest.ts';
import { planSearch } from '../lib/search/plan.ts';
import { runSearch } from '../lib/search/run-search.ts';
import { sampleTrial, type SearchSpace } from '../lib/search/sample.ts';
import { enqueueTrials, trialJobId, type TrialJobData } from '../lib/search/trial-job.ts';
import { trialJobKind } from '../lib/search/trial-kind.ts';
import { findResumable, loadCheckpoint } from '../lib/train/checkpoint.ts';
import { paramsSha256 } from '../lib/train/hash.ts';
import { runChild } from './helpers/child.ts';
import type { LiveChild } from './helpers/live-child.ts';
import { count, snapshot, startWorker, TENFOLD, WITH_QUADRANTS } from './helpers/queue-fixtures.ts';
import './helpers/quadrants-dataset.ts';
import { useRedis } from './helpers/redis.ts';

const quadrantsModule = new URL('./helpers/quadrants-dataset.ts', import.meta.url).href;
const space: SearchSpace = { lr: { low: 1e-3, high: 1 }, weightDecay: { low: 1e-6, high: 1e-3 } };
const FLAGS = ['--dataset', 'quadrants', '--trials', '3', '--hidden', '16', '--epochs', '2', '--batch-size', '40', '--validation', '80',
  '--lr', '1e-3:1', '--weight-decay', '1e-6:1e-3', '--seed', '3', '--json', '--quiet'];

interface Trial { readonly index: number; readonly lr: number; readonly weightDecay: number; readonly validationAccuracy: number | null; readonly validationLoss: number | null; readonly epochs: number; readonly resumed: boolean }
interface Report { readonly trials: readonly Trial[]; readonly best: number | null; readonly queue?: string; readonly warnings?: readonly string[] }
const lastJson = (stdout: string): Report => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Report;
const figures = (trials: readonly Trial[]) => trials.map((t) => [t.index, t.lr, t.weightDecay, t.validationAccuracy, t.validationLoss, t.epochs]);
const hashes = (out: string): string[] => [1, 2, 3].map((i) => {
  const found = findResumable(join(out, `trial-${i}`));
  if (found === undefined) throw new Error(`${out}/trial-${i}: no checkpoint`);
  return paramsSha256(found.checkpoint.params);
});

describe('search trials through a Redis queue', function () {
  this.timeout(150_000);
  const redis = useRedis();
  const root = mkdtempSync(join(tmpdir(), 'tenfold-search-queue-'));
  const queued = join(root, 'queued');
  const workers: LiveChild[] = [];
  after(async () => {
    for (const w of workers) w.process.kill('SIGTERM');
    for (const w of workers) await w.exited(5_000);
    rmSync(root, { recursive: true, force: true });
  });
  const search = (out: string) => runChild([...WITH_QUADRANTS, TENFOLD, 'search', ...FLAGS, '--out', out, '--queue', redis().url], { timeoutMs: 120_000 });

  let first: Report;
  it('two `tenfold worker`s give the trials of a local search: the same values, validation figures and parameters, no test set', async () => {
    for (let i = 0; i < 2; i++) workers.push(startWorker(redis().url, [], WITH_QUADRANTS));
    for (const w of workers) await w.waitFor(/taking members and trials/);
    const q = await search(queued);
    expect(q.status, q.stderr).to.equal(0);
    first = lastJson(q.stdout);
    expect(first.queue).to.equal(redis().url);
    expect(first.warnings).to.deep.equal([]);
    expect(first.trials.map((t) => [t.lr, t.weightDecay])).to.deep.equal([0, 1, 2].map((i) => { const s = sampleTrial(3, i, space); return [s.lr, s.weightDecay]; }));
    // the local search of the same plan (the one the command wrote), on worker threads
    const local = join(root, 'local');
    mkdirSync(local);
    const run = await runSearch(local, readSearchManifest(queued), { workers: 2, workerModules: [quadrantsModule] });
    if (run.stopped) throw new Error('the local search stopped');
    expect(figures(first.trials)).to.deep.equal(figures(run.trials));
    expect(first.best).to.equal(run.best?.index ?? null);
    expect(hashes(queued)).to.deep.equal(hashes(local));
    // no epoch measured the test set, and no job's result carries a test figure
    for (const t of first.trials) {
      const c = loadCheckpoint(join(queued, `trial-${t.index + 1}`));
      expect(c.history.epochs.map((e) => e.testAccuracy)).to.deep.equal([null, null]);
      expect(c.history.epochs.at(-1)?.validationAccuracy).to.equal(t.validationAccuracy);
    }
    const queue = new Queue<TrialJobData>('tenfold-members', { connection: { url: redis().url } });
    try {
      const manifest = readSearchManifest(queued);
      for (const i of [0, 1, 2]) {
        const job = await queue.getJob(trialJobId(manifest, queued, i));
        expect(await job?.getState()).to.equal('completed');
        expect(Object.keys(job?.returnvalue as object).sort()).to.deep.equal(['index', 'resumed', 'seconds', 'trainedOn']);
      }
    } finally {
      await queue.close();
    }
    // both workers took a trial (each waits on the queue)
    for (const w of workers) expect(w.output()).to.match(/trial \d\/[0-9a-f]{16}: validation accuracy \d/);
  });

  it('run again, it reads every trial back from --out and enqueues nothing', async () => {
    const queue = new Queue('tenfold-members', { connection: { url: redis().url } });
    try {
      const before = { counts: await queue.getJobCounts(), jobs: (await queue.getJobs()).map((j) => [j.id, j.timestamp]), dirs: [1, 2, 3].map((i) => snapshot(join(queued, `trial-${i}`))) };
      const trained = workers.map((w) => count(w.output(), /training in/g));
      const q = await search(queued);
      expect(q.status, q.stderr).to.equal(0);
      const again = lastJson(q.stdout);
      expect(again.trials.every((t) => t.resumed)).to.equal(true);
      expect(figures(again.trials)).to.deep.equal(figures(first.trials));
      expect({ counts: await queue.getJobCounts(), jobs: (await queue.getJobs()).map((j) => [j.id, j.timestamp]), dirs: [1, 2, 3].map((i) => snapshot(join(queued, `trial-${i}`))) })
        .to.deep.equal(before);
      expect(workers.map((w) => count(w.output(), /training in/g))).to.deep.equal(trained);
    } finally {
      await queue.close();
    }
  });

  it('a worker that cannot see --out fails a trial job at once, saying so; one without the trial kind refuses it, saying so', async () => {
    // a queue of its own: the `tenfold worker`s above take nothing from it
    const queueName = 'tenfold-spec-search-host';
    const queue = new Queue<TrialJobData>(queueName, { connection: { url: redis().url } });
    const events = new QueueEvents(queueName, { connection: { url: redis().url } });
    const manifest = planSearch({ model: 'mlp', hidden: [16], optimizer: 'sgd', schedule: 'constant', batchSize: 40, epochs: 1, dataset: 'quadrants', augment: ['none'], validation: 80 }, space, 3, 1);
    const failure = async (out: string): Promise<{ readonly message: string; readonly attempts: number | undefined; readonly state: string | undefined }> => {
      const [{ job }] = await enqueueTrials(queue, out, manifest);
      const message = await job.waitUntilFinished(events).then(() => 'completed', (err: Error) => err.message);
      const after = await queue.getJob(job.id ?? '');
      return { message, attempts: after?.attemptsMade, state: await after?.getState() };
    };
    await events.waitUntilReady();
    let w = startMemberWorker({ url: redis().url, queueName, kinds: [trialJobKind] });
    try {
      const unseen = await failure(join(root, 'not-on-this-host'));
      expect(unseen.message).to.match(/not-on-this-host\/search\.json is not on this host: --out must be on a file system that the coordinator and every worker share, at the same path/);
      expect([unseen.attempts, unseen.state], 'not retried').to.deep.equal([1, 'failed']);
      await w.stop();
      w = startMemberWorker({ url: redis().url, queueName });
      const refused = await failure(join(root, 'members-only'));
      expect(refused.message).to.match(/is of kind "trial", which this worker does not take \(it takes member\): run `tenfold worker`, which takes members and trials/);
      expect([refused.attempts, refused.state]).to.deep.equal([1, 'failed']);
    } finally {
      await w.stop();
      await queue.obliterate({ force: true });
      await queue.close();
      await events.close();
    }
  });
});
