/** Snapshot ensembles: each warm-restart cycle's end a member, resumable bit for bit; the plans and what they refuse. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import './helpers/quadrants-dataset.ts';
import { runJob, snapshotConfig, type JobConfig } from '../lib/jobs/job.ts';
import { planEnsemble } from '../lib/ensemble/plan.ts';
import { trainEnsemble } from '../lib/ensemble/train-ensemble.ts';
import { evaluateSavedEnsemble } from '../lib/ensemble/evaluate-saved.ts';
import { memberTestPredictions } from '../lib/ensemble/test-predictions.ts';
import { modelOf } from '../lib/jobs/job.ts';
import { loadDataset } from '../lib/data/datasets.ts';
import { foldIn, key } from '../lib/random.ts';
import { loadCheckpoint } from '../lib/train/checkpoint.ts';
import { paramsSha256 } from '../lib/train/hash.ts';

const rejection = async (p: Promise<unknown>): Promise<Error> => p.then(() => new Error('resolved'), (e: unknown) => e as Error);

describe('snapshot ensembles', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'tenfold-snapshot-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config: JobConfig = {
    model: 'mlp', hidden: [16], optimizer: 'adam', lr: 0.01, schedule: 'warm-restarts', cycles: 3, batchSize: 40, epochs: 3,
    weightDecay: 0, dataset: 'quadrants', augment: ['none'], validation: 80,
  };
  const snapshotDirs = (name: string) => [1, 2, 3].map((k) => join(dir, name, `member-${k}`));

  describe('in a job (mlp on quadrants, 3 cycles of 1 epoch)', () => {
    const epochHashes: string[] = [];
    before(async () => {
      await runJob(config, key(3), { checkpointDir: join(dir, 'straight', 'run'), snapshotDirs: snapshotDirs('straight') }, {
        onEpoch: (s) => { epochHashes.push(paramsSha256(s.params)); },
      });
    });

    it('each cycle end is a member: the plain run\'s parameters at that epoch, saved as a finished run of that many cycles', async () => {
      expect(new Set(epochHashes).size).to.equal(3);
      for (const [i, d] of snapshotDirs('straight').entries()) {
        const c = loadCheckpoint(d);
        expect(paramsSha256(c.params), `cycle ${i + 1}`).to.equal(epochHashes[i]);
        expect(c.epoch).to.equal(i + 1);
        expect(c.metadata).to.include({ epochs: i + 1, cycles: i + 1, schedule: 'warm-restarts' });
      }
      // a run of k cycles trained on its own ends where cycle k of the long run ended
      for (const k of [1, 2]) {
        const alone = await runJob(snapshotConfig(config, k), key(3));
        expect(paramsSha256(alone.trainState.params), `${k} cycles alone`).to.equal(epochHashes[k - 1]);
      }
    });

    it('a run stopped in its second cycle and resumed yields the same members, bit for bit', async () => {
      const controller = new AbortController();
      const storage = { checkpointDir: join(dir, 'resumed', 'run'), snapshotDirs: snapshotDirs('resumed') };
      const stopped = await runJob(config, key(3), { ...storage, signal: controller.signal }, {
        onStep: (info) => { if (info.epoch === 1 && info.stepInEpoch === 4) controller.abort(); },
      });
      expect(stopped.interrupted).to.equal(true);
      const resumed = await runJob(config, key(3), { ...storage, resume: true });
      expect(resumed.resumed).to.equal(true);
      for (const [i, d] of snapshotDirs('resumed').entries()) expect(paramsSha256(loadCheckpoint(d).params), `cycle ${i + 1}`).to.equal(epochHashes[i]);
    });

    it('refuses cycles that do not end at epoch ends, and a schedule without cycles', async () => {
      expect((await rejection(runJob({ ...config, epochs: 4 }, key(3), { snapshotDirs: snapshotDirs('bad') }))).message)
        .to.match(/--epochs 4 must be a multiple of the 3 cycles/);
      expect((await rejection(runJob({ ...config, schedule: 'cosine', cycles: undefined }, key(3), { snapshotDirs: snapshotDirs('bad') }))).message)
        .to.match(/snapshots need --schedule warm-restarts \(it is cosine\)/);
      expect((await rejection(runJob({ ...config, schedule: 'cosine' }, key(3)))).message).to.match(/--cycles 3 needs --schedule warm-restarts/);
    });
  });

  describe('plans', () => {
    it('--method independent is today\'s plan, field for field', () => {
      const today = planEnsemble('quick', 1, { members: 3, validation: 100 });
      expect(planEnsemble('quick', 1, { members: 3, validation: 100, method: ['independent'] })).to.deep.equal(today);
      expect(today).to.not.have.any.keys('methods', 'runs');
      for (const m of today.members) expect(m).to.have.all.keys('index', 'dir', 'config');
    });

    it('snapshot,swa: one warm-restarts run of M cycles yields M snapshots and its SWA model; --runs R repeats it', () => {
      const p = planEnsemble('quick', 1, { members: 3, epochs: 6, method: ['snapshot', 'swa'] });
      expect(p.runs?.map((r) => [r.dir, r.config.schedule, r.config.cycles, r.config.swa])).to.deep.equal([['run-1', 'warm-restarts', 3, { start: 1 }]]);
      expect(p.members.map((m) => [m.dir, m.from, m.config.epochs])).to.deep.equal([
        ['member-1', { run: 0, kind: 'snapshot', cycle: 1 }, 2], ['member-2', { run: 0, kind: 'snapshot', cycle: 2 }, 4],
        ['member-3', { run: 0, kind: 'snapshot', cycle: 3 }, 6], ['member-4', { run: 0, kind: 'swa' }, 6],
      ]);
      const two = planEnsemble('quick', 1, { members: 2, epochs: 2, method: ['snapshot'], runs: 2 });
      expect(two.members.map((m) => m.from)).to.deep.equal([
        { run: 0, kind: 'snapshot', cycle: 1 }, { run: 0, kind: 'snapshot', cycle: 2 }, { run: 1, kind: 'snapshot', cycle: 1 }, { run: 1, kind: 'snapshot', cycle: 2 },
      ]);
      const indepSwa = planEnsemble('quick', 1, { members: 2, epochs: 4, method: ['independent', 'swa'] });
      expect(indepSwa.members.map((m) => m.from?.kind)).to.deep.equal(['final', 'swa', 'final', 'swa']);
      expect(indepSwa.runs?.map((r) => r.config.swa), 'the last two of 4 epochs').to.deep.equal([{ start: 3 }, { start: 3 }]);
    });

    it('refuses what does not fit, naming the flag', () => {
      const plan = (o: Parameters<typeof planEnsemble>[2]) => () => planEnsemble('quick', 1, o);
      expect(plan({ members: 1, method: ['snapshot'] })).to.throw(/--method snapshot needs --members M ≥ 2/);
      expect(plan({ members: 2, epochs: 3, method: ['snapshot'] })).to.throw(/--epochs 3 must be a multiple of --members 2/);
      expect(plan({ members: 2, epochs: 2, method: ['snapshot'], schedule: 'cosine' })).to.throw(/--schedule cosine: --method snapshot trains with warm-restarts/);
      expect(plan({ members: 2, epochs: 2, method: ['independent', 'snapshot'] })).to.throw(/--method independent,snapshot/);
      expect(plan({ members: 2, method: ['swa'], runs: 2 })).to.throw(/--runs applies to --method snapshot/);
      expect(plan({ members: 2, swaStart: 1 })).to.throw(/--swa-start needs --method swa/);
      expect(plan({ members: 2, epochs: 2, method: ['swa'], swaStart: 3 })).to.throw(/--swa-start 3 must be an epoch from 1 to --epochs 2/);
      expect(plan({ members: 2, method: ['bagging' as 'swa'] })).to.throw(/--method: unknown method "bagging"/);
    });
  });

  it('the command refuses --method snapshot on the queue and with one member, before any training', () => {
    const cli = (args: readonly string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ensemble.ts', '--preset', 'quick', '--out', join(dir, 'cli'), ...args],
      { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8' });
    const queued = cli(['--method', 'snapshot', '--members', '2', '--epochs', '2', '--queue', 'redis://127.0.0.1:1']);
    expect(queued.status).to.equal(2);
    expect(queued.stderr).to.match(/--method snapshot runs locally; the queue takes independent members/);
    const one = cli(['--method', 'snapshot', '--members', '1']);
    expect(one.status).to.equal(2);
    expect(one.stderr).to.match(/--method snapshot needs --members M ≥ 2/);
  });

  describe('trained from code (snapshot,swa: 2 cycles of 1 epoch on quadrants, on worker threads)', () => {
    const out = mkdtempSync(join(dir, 'ensemble-'));
    const workerModules = [new URL('./helpers/quadrants-dataset.ts', import.meta.url).href];
    const manifest = planEnsemble('quick', 5, {
      dataset: 'quadrants', models: ['mlp'], hidden: [16], members: 2, epochs: 2, lr: 0.01, batchSize: 40, validation: 80, method: ['snapshot', 'swa'],
    });

    it('averages the snapshots and the SWA model as independent members are averaged; evaluate and a second run agree', async () => {
      const run = await trainEnsemble(out, manifest, { workers: 1, workerModules });
      if (run.stopped) throw new Error('stopped');
      expect(run.outcomes.map((o) => o.from?.kind)).to.deep.equal(['snapshot', 'snapshot', 'swa']);
      // member 1's probabilities are its snapshot's own predictions, with member 1's index
      const data = loadDataset('quadrants', true);
      const c = loadCheckpoint(join(out, 'member-1'));
      const own = memberTestPredictions(modelOf(manifest.members[0].config, data.classes).net, c, 'quadrants', data.test, 5, 0, 1);
      expect(Array.from(run.outcomes[0].probabilities)).to.deep.equal(Array.from(own.probabilities));
      expect(run.outcomes[0].history.epochs).to.have.length(1);
      expect(run.outcomes[2].validationAccuracy).to.be.a('number');
      // the run's key is the seed with the run index folded in: its first cycle is a plain 1-cycle run's
      const alone = await runJob(snapshotConfig(manifest.runs?.[0].config as JobConfig, 1), foldIn(key(5), 0));
      expect(paramsSha256(c.params)).to.equal(paramsSha256(alone.trainState.params));
      const saved = evaluateSavedEnsemble(out);
      expect(saved.ensembleAccuracy).to.equal(run.summary.ensembleAccuracy);
      expect(saved.incomplete).to.deep.equal([]);
      const again = await trainEnsemble(out, manifest, { workers: 1, workerModules });
      if (again.stopped) throw new Error('stopped');
      expect(again.outcomes.every((o) => o.resumed)).to.equal(true);
      expect(again.summary.ensembleAccuracy).to.equal(run.summary.ensembleAccuracy);
      expect(JSON.parse(readFileSync(join(out, 'ensemble.json'), 'utf8'))).to.deep.equal(JSON.parse(JSON.stringify(manifest)));
    });

    it('independent,swa: each run\'s final model is the independent member of its index, saved beside its SWA model', async () => {
      const both = mkdtempSync(join(dir, 'both-'));
      const plan = planEnsemble('quick', 5, {
        dataset: 'quadrants', models: ['mlp'], hidden: [16], members: 2, epochs: 2, lr: 0.01, batchSize: 40, method: ['independent', 'swa'],
      });
      const run = await trainEnsemble(both, plan, { workers: 2, workerModules });
      if (run.stopped) throw new Error('stopped');
      expect(run.outcomes.map((o) => o.from)).to.deep.equal([{ run: 0, kind: 'final' }, { run: 0, kind: 'swa' }, { run: 1, kind: 'final' }, { run: 1, kind: 'swa' }]);
      const independent = planEnsemble('quick', 5, { dataset: 'quadrants', models: ['mlp'], hidden: [16], members: 2, epochs: 2, lr: 0.01, batchSize: 40 });
      for (const r of [0, 1]) {
        const alone = await runJob(independent.members[r].config, foldIn(key(5), r));
        expect(paramsSha256(loadCheckpoint(join(both, `member-${2 * r + 1}`)).params), `run ${r + 1}`).to.equal(paramsSha256(alone.trainState.params));
      }
      expect(evaluateSavedEnsemble(both).ensembleAccuracy).to.equal(run.summary.ensembleAccuracy);
    });
  });
});
