import { expect } from 'chai';
import { decode } from 'fast-png';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { augmentationFor } from '../lib/augment/presets.ts';
import { parseFlags } from '../lib/cli/args.ts';
import { jobFlagSpecs } from '../lib/cli/job-flags.ts';
import { loadDataset } from '../lib/data/datasets.ts';
import { datasetDefinition, isRegistered, registerDataset, registeredDatasetNames, type DatasetDefinition } from '../lib/data/registry.ts';
import { readEnsembleManifest, writeEnsembleManifest, type EnsembleManifest } from '../lib/ensemble/manifest.ts';
import { runMember, type MemberOutcome } from '../lib/ensemble/member-task.ts';
import { writeEnsembleReport } from '../lib/ensemble/report.ts';
import { summariseEnsemble } from '../lib/ensemble/summary.ts';
import { trainEnsemble } from '../lib/ensemble/train-ensemble.ts';
import { JobConfigC, type JobConfig } from '../lib/jobs/config.ts';
import { runJob } from '../lib/jobs/job.ts';
import { writeJobReport } from '../lib/jobs/job-report.ts';
import { loadCheckpointedModel } from '../lib/jobs/restore.ts';
import { key, uniform } from '../lib/random.ts';

import { CLASSES, quadrants, SHAPE } from './helpers/quadrants-dataset.ts';

const [, H, W] = SHAPE;

const job = (model: JobConfig['model']): JobConfig => ({
  model, hidden: [64], optimizer: 'adam', lr: 0.003, schedule: 'constant', batchSize: 40, epochs: 4,
  weightDecay: 0, dataset: 'quadrants', augment: ['default'],
});

/** Width, height and channels of every PNG data URI in a page. */
const pngsOf = (html: string) => [...html.matchAll(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g)]
  .map((m) => decode(Buffer.from(m[1], 'base64'))).map((p) => ({ width: p.width, height: p.height, channels: p.channels }));

const expectImageGrid = (html: string): void => {
  const examples = pngsOf(html).filter((p) => p.width === W && p.height === H);
  expect(examples.length).to.be.above(0);
  for (const p of examples) expect(p.channels).to.equal(3);
  for (const name of CLASSES) expect(html).to.contain(name);
  expect(html).to.match(/#\d+: (top|bottom)-(left|right) → (top|bottom)-(left|right)/);
};

describe('dataset registry: a registered 3×12×12 dataset trains, ensembles and reports', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'tenfold-registry-'));
  before(() => registerDataset(quadrants));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has MNIST and Fashion-MNIST as entries, and a registered dataset beside them', () => {
    expect(registeredDatasetNames().slice(0, 2)).to.deep.equal(['mnist', 'fashion-mnist']);
    expect(isRegistered('quadrants')).to.equal(true);
    expect(datasetDefinition('mnist').imageShape).to.deep.equal([1, 28, 28]);
    expect(datasetDefinition('fashion-mnist').classNames[9]).to.equal('Ankle boot');
    expect(() => datasetDefinition('cifar')).to.throw(/unknown dataset "cifar" \(known: mnist, fashion-mnist, quadrants/);
    const data = loadDataset('quadrants', true);
    expect(data.inputShape).to.deep.equal([432]);
    expect(data.imageShape).to.deep.equal([3, 12, 12]);
    expect(data.classNames).to.deep.equal(CLASSES);
  });

  it('refuses inconsistent definitions and loaders that disagree with theirs', () => {
    expect(registerDataset(quadrants)).to.equal(quadrants); // the same one again: a no-op
    expect(() => registerDataset({ ...quadrants })).to.throw(/"quadrants" is already registered/);
    expect(() => registerDataset({ ...quadrants, name: 'q-flip', augmentPreset: [{ name: 'flip' }] })).to.throw(/flips images that are not mirror-safe/);
    expect(() => registerDataset({ ...quadrants, name: 'q-shape', imageShape: [3, 0, 12] })).to.throw(/imageShape must be \[C, H, W\]/);
    expect(() => registerDataset({ ...quadrants, name: 'a b' })).to.throw(/must be letters, digits/);
    registerDataset({ ...quadrants, name: 'q-gray', imageShape: [1, 12, 12] });
    expect(() => loadDataset('q-gray')).to.throw(/loadDataset: "q-gray": train images are \[3, 12, 12\], defined as \[1, 12, 12\]/);
  });

  it('validates dataset names in the job codec and on the command line', () => {
    const bad = JobConfigC.decode({ ...job('mlp'), dataset: 'cifar' });
    expect(bad._tag).to.equal('Left');
    if (bad._tag === 'Left') expect(bad.left[0].message).to.match(/unknown dataset "cifar" \(known: mnist, fashion-mnist, quadrants/);
    expect(JobConfigC.decode(job('mlp'))._tag).to.equal('Right');
    expect(parseFlags(['--dataset', 'fashion-mnist'], jobFlagSpecs).dataset).to.equal('fashion-mnist');
    expect(() => parseFlags(['--dataset', 'cifar'], jobFlagSpecs)).to.throw(/--dataset: expected one of mnist\|fashion-mnist/);
  });

  it('augments with its own preset, flattened or not, and refuses flips', () => {
    const aug = augmentationFor('quadrants', ['default']);
    const data = loadDataset('quadrants', true);
    const batch = { x: uniform(key(1), [2, 432]), labels: Int32Array.from([0, 1]) };
    expect(aug?.(key(2), batch).x.shape).to.deep.equal([2, 432]);
    expect(data.train.shape).to.deep.equal([480, 432]);
    expect(() => augmentationFor('quadrants', ['flip'])).to.throw(/"flip" does not preserve quadrants labels/);
  });

  it('trains with runJob as a flattened MLP and as a small conv net, well above chance (25%)', async () => {
    const mlp = await runJob(job('mlp'), key(3));
    const conv = await runJob(job('simple-convnet'), key(3));
    const mlpAcc = mlp.history.epochs.at(-1)?.testAccuracy ?? 0;
    const convAcc = conv.history.epochs.at(-1)?.testAccuracy ?? 0;
    console.log(`      quadrants test accuracy: mlp ${(100 * mlpAcc).toFixed(1)}%, simple-convnet ${(100 * convAcc).toFixed(1)}%`);
    // 11 of the 240 test labels are wrong on purpose: 95.4% is every clean example right
    expect(mlpAcc).to.be.above(0.75);
    expect(convAcc).to.be.above(0.75);
    const refused = await runJob({ ...job('mlp'), augment: ['flip'] }, key(3)).then(() => undefined, (err: Error) => err.message);
    expect(refused).to.match(/"flip" does not preserve quadrants labels/);
    const file = join(dir, 'job.html');
    await writeJobReport(file, [{ name: 'mlp', job: mlp }]);
    expectImageGrid(readFileSync(file, 'utf8'));
  });

  it('runs as an ensemble member by member, combines and reports it', async () => {
    const out = join(dir, 'ensemble');
    mkdirSync(out); // as the ensemble script's prepareOutputDir does
    const manifest: EnsembleManifest = {
      format: 'tenfold-ensemble', version: 1, seed: 5,
      members: [{ index: 0, dir: 'member-1', config: job('simple-convnet') }, { index: 1, dir: 'member-2', config: job('mlp') }],
    };
    const outcomes: MemberOutcome[] = [];
    for (const m of manifest.members) {
      const channel = new MessageChannel();
      try {
        const r = await runMember({
          index: m.index, seed: manifest.seed, config: m.config, checkpointDir: join(out, m.dir), tta: 2, port: channel.port1,
        });
        if ('interrupted' in r) throw new Error(`member ${m.index} was interrupted`);
        outcomes.push(r);
      } finally {
        channel.port1.close();
        channel.port2.close();
      }
    }
    writeEnsembleManifest(out, manifest);
    expect(readEnsembleManifest(out).members[1].config.dataset).to.equal('quadrants');
    expect(loadCheckpointedModel(join(out, 'member-2')).config.dataset).to.equal('quadrants');
    const data = loadDataset('quadrants');
    const summary = summariseEnsemble(outcomes, data.test.labels);
    console.log(`      quadrants ensemble: members ${summary.members.map((m) => `${(100 * m.testAccuracy).toFixed(1)}%`).join(', ')}, ensemble ${(100 * summary.ensembleAccuracy).toFixed(1)}%`);
    for (const m of summary.members) expect(m.testAccuracy).to.be.above(0.75);
    expect(summary.ensembleAccuracy).to.be.above(0.75);
    const file = join(out, 'report.html');
    await writeEnsembleReport(file, { manifest, out, outcomes, summary, data });
    const html = readFileSync(file, 'utf8');
    expectImageGrid(html);
    expect(pngsOf(html).filter((p) => p.width === 5 && p.height === 5)).to.have.length(30); // member 1's conv filters
  });

  it('trains an ensemble of it on worker threads, which load the module that registers it', async function () {
    this.timeout(60_000);
    const out = mkdtempSync(join(tmpdir(), 'tenfold-quadrants-pool-'));
    try {
      const manifest: EnsembleManifest = {
        format: 'tenfold-ensemble', version: 1, seed: 5,
        members: [{ index: 0, dir: 'member-1', config: { ...job('mlp'), epochs: 2 } }, { index: 1, dir: 'member-2', config: { ...job('mlp'), epochs: 2 } }],
      };
      const run = await trainEnsemble(out, manifest, { workers: 2, workerModules: [new URL('./helpers/quadrants-dataset.ts', import.meta.url).href] });
      if (run.stopped) throw new Error('stopped');
      expect(run.outcomes).to.have.length(2);
      expect(run.summary.ensembleAccuracy).to.be.above(0.8);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
