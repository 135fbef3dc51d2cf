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
import {
  datasetDefinition, isRegistered, labeledImages, registerDataset, registeredDatasetNames,
  type DatasetDefinition, type LabeledImages, type Split,
} from '../lib/data/registry.ts';
import { readEnsembleManifest, writeEnsembleManifest, type EnsembleManifest } from '../lib/ensemble/manifest.ts';
import { runMember, type MemberOutcome } from '../lib/ensemble/member-task.ts';
import { writeEnsembleReport } from '../lib/ensemble/report.ts';
import { summariseEnsemble } from '../lib/ensemble/summary.ts';
import { JobConfigC, type JobConfig } from '../lib/jobs/config.ts';
import { runJob } from '../lib/jobs/job.ts';
import { writeJobReport } from '../lib/jobs/job-report.ts';
import { loadCheckpointedModel } from '../lib/jobs/restore.ts';
import { key, randint, uniform } from '../lib/random.ts';

// A synthetic dataset that is not 28×28: 3×12×12 colour images, class k a bright square in quadrant k.
const SHAPE = [3, 12, 12] as const;
const CLASSES = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];
const [C, H, W] = SHAPE;

/** `count` images from `seed`: noise in [0, 0.35), a 4×4 square of a random colour at a jittered spot of its quadrant; 6% of labels wrong, so some errors always show. */
const quadrantImages = (seed: number, count: number): LabeledImages => {
  const truth = randint(key(seed), count, 0, 4);
  const noise = uniform(key(seed + 1), [count * C * H * W], 0, 0.35).data;
  const jitter = randint(key(seed + 2), 2 * count, 0, 3);
  const colour = uniform(key(seed + 3), [count * C], 0.5, 0.65).data;
  const wrong = uniform(key(seed + 4), [count]).data;
  const other = randint(key(seed + 5), count, 0, 4);
  const pixels = new Uint8Array(count * C * H * W);
  for (let i = 0; i < count; i++) {
    const top = (truth[i] >> 1) * 6 + jitter[2 * i];
    const left = (truth[i] & 1) * 6 + jitter[2 * i + 1];
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const at = ((i * C + c) * H + y) * W + x;
          const inSquare = y >= top && y < top + 4 && x >= left && x < left + 4;
          pixels[at] = Math.round(255 * Math.min(1, noise[at] + (inSquare ? colour[i * C + c] : 0)));
        }
      }
    }
  }
  const labels = Uint8Array.from(truth, (t, i) => (wrong[i] < 0.06 ? other[i] : t));
  return labeledImages(pixels, labels, SHAPE);
};

let cached: Split | undefined;
/** Registered by this spec: left–right mirroring swaps classes, so it is not mirror-safe. */
const quadrants: DatasetDefinition = {
  name: 'quadrants',
  load: () => (cached ??= { name: 'quadrants', classes: 4, train: quadrantImages(1, 480), test: quadrantImages(100, 240) }),
  imageShape: SHAPE,
  classNames: CLASSES,
  mirrorSafe: false,
  augmentPreset: [{ name: 'crop', pad: 1 }],
};

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
});
