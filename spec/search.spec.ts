/**
 * `tenfold search` and runSearch: log-uniform samples from the seed, trials trained with them and
 * scored on held-out examples only, resume, refusals naming the flag, the report, and the printed
 * best command (which `tenfold train` runs to the trial's very figures).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { parseFlags } from '../lib/cli/args.ts';
import { trainCommand } from '../lib/cli/commands/train.ts';
import { trainArgs } from '../lib/cli/train-command-line.ts';
import { runTrial } from '../lib/ensemble/member-task.ts';
import { JobSetupError } from '../lib/jobs/job.ts';
import { key } from '../lib/random.ts';
import { trialScatterSpec } from '../lib/search/charts.ts';
import { openSearchDirectory, searchDifference } from '../lib/search/directory.ts';
import { readSearchManifest, SEARCH_FILE } from '../lib/search/manifest.ts';
import { bestTrial, rankTrials, trialResult, type TrialResult } from '../lib/search/outcome.ts';
import { planSearch, type SearchBase } from '../lib/search/plan.ts';
import { renderSearchReport, SCATTER_SPEC_ID } from '../lib/search/report.ts';
import { runSearch } from '../lib/search/run-search.ts';
import { formatSample, logUniform, sampleTrial, type SearchSpace } from '../lib/search/sample.ts';
import { loadCheckpoint } from '../lib/train/checkpoint.ts';
import { emptyHistory } from '../lib/train/fit.ts';
import './helpers/quadrants-dataset.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const quadrantsModule = new URL('./helpers/quadrants-dataset.ts', import.meta.url).href;

const space: SearchSpace = { lr: { low: 1e-4, high: 1e-1 }, weightDecay: { low: 1e-8, high: 1e-4 } };
const decade = (x: number): number => Math.floor(Math.log10(x) + 1e-12);
/** The files of a checkpoint directory with their modification times: unchanged when nothing trained there. */
const snapshot = (dir: string): Record<string, number> => Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs]));

describe('search: samples', () => {
  it('are log-uniform within the ranges, three significant digits, the same from the same seed', () => {
    const samples = Array.from({ length: 3000 }, (_, i) => sampleTrial(7, i, space));
    for (const s of samples) {
      expect(s.lr).to.be.within(space.lr.low, space.lr.high);
      expect(s.weightDecay).to.be.within(space.weightDecay.low, space.weightDecay.high);
      expect(Number(s.lr.toPrecision(3))).to.equal(s.lr);
    }
    // log-uniform: each decade of the range gets its share (3 decades of lr, 4 of weight decay)
    for (const [values, low, decades] of [[samples.map((s) => s.lr), -4, 3], [samples.map((s) => s.weightDecay), -8, 4]] as const) {
      const counts = new Array<number>(decades).fill(0);
      for (const v of values) counts[Math.min(decades - 1, decade(v) - low)]++;
      for (const c of counts) expect(c / values.length).to.be.closeTo(1 / decades, 0.04);
    }
    expect(sampleTrial(7, 12, space)).to.deep.equal(samples[12]);
    expect(sampleTrial(8, 12, space)).to.not.deep.equal(samples[12]);
    expect(logUniform(0, space.lr)).to.equal(1e-4);
    expect(logUniform(1 - 2 ** -53, space.lr)).to.be.at.most(0.1);
    expect(Number(formatSample(3.18e-6))).to.equal(3.18e-6);
    expect(formatSample(3.18e-6)).to.equal('3.18e-6');
  });

  it('a plan of more trials keeps the earlier trials; a plan needs held-out examples', () => {
    const base: SearchBase = { model: 'mlp', hidden: [16], optimizer: 'sgd', schedule: 'constant', batchSize: 100, epochs: 1, dataset: 'mnist', augment: ['none'], validation: 500 };
    const three = planSearch(base, space, 1, 3);
    const five = planSearch(base, space, 1, 5);
    expect(five.trials.slice(0, 3)).to.deep.equal(three.trials);
    expect(three.trials.map((t) => t.config.lr)).to.deep.equal([0, 1, 2].map((i) => sampleTrial(1, i, space).lr));
    expect(searchDifference(three, five)).to.equal(undefined);
    expect(searchDifference(three, planSearch({ ...base, epochs: 2 }, space, 1, 3))).to.equal('--epochs is 1 there but 2 now');
    expect(searchDifference(three, planSearch(base, { ...space, lr: { low: 1e-3, high: 1e-1 } }, 1, 3))).to.equal('--lr is 0.0001:0.1 there but 0.001:0.1 now');
    expect(searchDifference(three, planSearch(base, space, 2, 3))).to.equal('--seed is 1 there but 2 now');
    expect(() => planSearch({ ...base, validation: undefined }, space, 1, 3)).to.throw(/validation must be a whole number ≥ 1/);
    expect(() => planSearch(base, { ...space, weightDecay: { low: 0, high: 1 } }, 1, 3)).to.throw(/space\.weightDecay: expected 0 < LOW < HIGH/);
  });

  it('ranks by validation accuracy, then loss; a diverged trial is last and never the best', () => {
    const trial = (index: number, acc: number | null, loss: number | null, diverged?: string): TrialResult => ({
      ...trialResult({ index, dir: `trial-${index + 1}`, config: { ...planSearch({ model: 'mlp', hidden: [8], optimizer: 'sgd', schedule: 'constant', batchSize: 10, epochs: 1, dataset: 'mnist', augment: ['none'], validation: 10 }, space, 1, 4).trials[index].config } }, emptyHistory, false),
      validationAccuracy: acc, validationLoss: loss, ...(diverged === undefined ? {} : { diverged }),
    });
    const trials = [trial(0, 0.9, 0.3), trial(1, null, null, 'loss is NaN'), trial(2, 0.95, 0.2), trial(3, 0.95, 0.1)];
    expect(rankTrials(trials).map((t) => t.index)).to.deep.equal([3, 2, 0, 1]);
    expect(bestTrial(trials)?.index).to.equal(3);
    expect(bestTrial([trials[1]])).to.equal(undefined);
    const spec = trialScatterSpec(trials, space, trials[3]) as unknown as { data: { values: { trial: number; lr: number; validationAccuracy: number | null; best: boolean }[] }; encoding: { x: { scale: { type: string; domain: number[] } } } };
    expect(spec.encoding.x.scale).to.deep.equal({ type: 'log', domain: [1e-4, 1e-1] });
    expect(spec.data.values.map((v) => [v.trial, v.lr, v.validationAccuracy, v.best])).to.deep.equal(trials.map((t) => [t.index + 1, t.lr, t.validationAccuracy, t.index === 3]));
  });
});

describe('search: the best configuration as train flags', () => {
  const config = { ...planSearch({ model: 'mlp', hidden: [16], optimizer: 'sgd', schedule: 'constant', batchSize: 100, epochs: 3, dataset: 'mnist', augment: ['none'], validation: 500 }, space, 1, 1).trials[0].config };

  it('parses with train\'s flags to the same values, leaving out train\'s defaults and (unless asked) --validation', () => {
    const args = trainArgs(config, 1, { validation: false });
    const f = parseFlags(args, trainCommand.specs);
    expect([f.model, f.hidden, f.lr, f['weight-decay'], f.epochs, f.optimizer, f.seed, f.validation]).to.deep.equal(['mlp', [16], config.lr, config.weightDecay, 3, 'sgd', 1, undefined]);
    expect(args).to.not.include('--optimizer');
    expect(args).to.not.include('--seed');
    expect(parseFlags(trainArgs(config, 5, { validation: true }), trainCommand.specs)).to.include({ validation: 500, seed: 5 });
    expect(trainArgs({ ...config, earlyStopping: { monitor: 'validationLoss', patience: 2 } }, 1, { validation: false })).to.include.members(['--validation', '--early-stopping']);
  });
});

describe('search: runSearch on worker threads (a small synthetic dataset)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const fresh = (): string => { const d = mkdtempSync(join(tmpdir(), 'tenfold-search-')); dirs.push(d); return d; };
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
  const base: SearchBase = { model: 'mlp', hidden: [16], optimizer: 'sgd', schedule: 'constant', batchSize: 40, epochs: 3, dataset: 'quadrants', augment: ['none'], validation: 80 };
  const quadSpace: SearchSpace = { lr: { low: 1e-3, high: 1 }, weightDecay: { low: 1e-6, high: 1e-3 } };
  const manifest = planSearch(base, quadSpace, 3, 3);
  const options = { workers: 2, workerModules: [quadrantsModule] };
  let whole: readonly TrialResult[] = [];

  it('trains each trial with its sampled values, scores it on the held-out examples, and never measures the test set', async () => {
    const out = fresh();
    const run = await runSearch(out, manifest, options);
    if (run.stopped) throw new Error('stopped');
    whole = run.trials;
    expect(run.trials.map((t) => t.index)).to.deep.equal([0, 1, 2]);
    for (const t of manifest.trials) {
      const c = loadCheckpoint(join(out, t.dir));
      expect([c.metadata.lr, c.metadata.weightDecay, c.metadata.validation]).to.deep.equal([t.config.lr, t.config.weightDecay, 80]);
      expect(c.history.epochs).to.have.length(3);
      for (const e of c.history.epochs) {
        expect(e.testAccuracy).to.equal(null);
        expect(e.validationAccuracy).to.be.a('number');
      }
      const r = run.trials[t.index];
      expect(r.validationAccuracy).to.equal(c.history.epochs[2].validationAccuracy);
      expect(r.resumed).to.equal(false);
    }
    expect(run.best?.index).to.equal(rankTrials(run.trials)[0].index);
  });

  it('runTrial sends back no test-set predictions', async () => {
    const channel = new MessageChannel();
    const dir = fresh();
    try {
      const r = await runTrial({ index: 0, seed: 3, config: manifest.trials[0].config, checkpointDir: dir, tta: 1, port: channel.port1, runKey: key(3), trial: true });
      expect(Object.keys(r).sort()).to.deep.equal(['history', 'index', 'resumed', 'seconds']);
      if (!('history' in r)) throw new Error('no history');
      // the same run key as the search's trial 1: the same figures
      expect(r.history.epochs.map((e) => e.validationLoss)).to.deep.equal(whole[0].history.epochs.map((e) => e.validationLoss));
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  });

  it('stopped after a trial, then run again: the finished trial is read back, not retrained, and every figure is as in one whole run', async () => {
    const out = fresh();
    const controller = new AbortController();
    const first = await runSearch(out, manifest, { ...options, workers: 1, signal: controller.signal, onTrial: () => controller.abort() });
    expect(first.stopped).to.equal(true);
    if (!first.stopped) return;
    expect(first.finished.map((t) => t.index)).to.deep.equal([0]);
    const before = snapshot(join(out, 'trial-1'));
    const again = await runSearch(out, manifest, options);
    if (again.stopped) throw new Error('stopped');
    expect(snapshot(join(out, 'trial-1'))).to.deep.equal(before);
    expect(again.trials[0].resumed).to.equal(true);
    expect(again.trials.map((t) => [t.validationAccuracy, t.validationLoss])).to.deep.equal(whole.map((t) => [t.validationAccuracy, t.validationLoss]));
  });

  it('a trial that diverges is an outcome, not a failure: ranked last, drawn as a cross, never the best', async () => {
    const out = fresh();
    const wild = planSearch({ ...base, epochs: 1 }, { lr: { low: 1e3, high: 1e4 }, weightDecay: quadSpace.weightDecay }, 3, 1);
    const run = await runSearch(out, wild, options);
    if (run.stopped) throw new Error('stopped');
    expect(run.trials[0].diverged).to.match(/training diverged at step \d+/);
    expect([run.trials[0].validationAccuracy, run.best]).to.deep.equal([null, undefined]);
    const html = await renderSearchReport({ manifest: wild, trials: run.trials, best: run.best });
    expect(html).to.include('<td>diverged</td>');
    expect(html).to.include('none (every trial diverged)');
  });

  it('refuses an ensemble\'s directory and trial checkpoints without search.json', () => {
    const ensemble = fresh();
    writeFileSync(join(ensemble, 'ensemble.json'), '{}');
    expect(() => openSearchDirectory(ensemble, manifest)).to.throw(JobSetupError, /holds ensemble\.json: an ensemble's directory/);
    const stray = fresh();
    const done = dirs[0];
    mkdirSync(join(stray, 'trial-2'));
    for (const f of readdirSync(join(done, 'trial-2'))) writeFileSync(join(stray, 'trial-2', f), readFileSync(join(done, 'trial-2', f)));
    expect(() => openSearchDirectory(stray, manifest)).to.throw(JobSetupError, /has no search\.json but trial-2 holds checkpoints/);
    expect(existsSync(join(stray, SEARCH_FILE))).to.equal(false);
  });
});

describe('search command (mnist, 3 trials of a small MLP, 1 epoch)', function () {
  this.timeout(180_000);
  let out = '';
  let args: readonly string[] = [];
  before(() => {
    out = mkdtempSync(join(tmpdir(), 'tenfold-search-cli-'));
    args = ['--trials', '3', '--hidden', '16', '--epochs', '1', '--batch-size', '200', '--validation', '300', '--train-eval-limit', '500', '--out', out, '--json', '--quiet'];
  });
  after(() => rmSync(out, { recursive: true, force: true }));
  const run = (script: string, args: readonly string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8' });
    return { ...r, json: () => JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown> };
  };
  interface Trial { index: number; lr: number; weightDecay: number; validationAccuracy: number; validationLoss: number; resumed: boolean }
  let first: Record<string, unknown>;

  it('samples every trial from the seed, trains it without the test set, and writes the table and the scatter plot', () => {
    const r = run('scripts/search.ts', args);
    expect(r.status, r.stderr).to.equal(0);
    first = r.json();
    const trials = first.trials as Trial[];
    expect(trials.map((t) => [t.lr, t.weightDecay])).to.deep.equal([0, 1, 2].map((i) => { const s = sampleTrial(1, i, space); return [s.lr, s.weightDecay]; }));
    for (const t of trials) {
      const c = loadCheckpoint(join(out, `trial-${t.index + 1}`));
      expect([c.metadata.lr, c.metadata.weightDecay]).to.deep.equal([t.lr, t.weightDecay]);
      expect(c.history.epochs.map((e) => e.testAccuracy)).to.deep.equal([null]);
      expect(t.validationAccuracy).to.equal(c.history.epochs[0].validationAccuracy);
    }
    const best = [...trials].sort((a, b) => b.validationAccuracy - a.validationAccuracy || a.validationLoss - b.validationLoss)[0];
    expect(first.best).to.equal(best.index);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const spec = JSON.parse(new RegExp(`<script type="application/json" id="${SCATTER_SPEC_ID}">(.*?)</script>`).exec(html)?.[1] ?? 'null') as {
      data: { values: { trial: number; lr: number; weightDecay: number; validationAccuracy: number }[] }; encoding: Record<string, { scale?: { type: string } }>;
    };
    expect(spec.data.values.map((v) => [v.trial, v.lr, v.weightDecay, v.validationAccuracy])).to.deep.equal(trials.map((t) => [t.index + 1, t.lr, t.weightDecay, t.validationAccuracy]));
    expect([spec.encoding.x.scale?.type, spec.encoding.y.scale?.type]).to.deep.equal(['log', 'log']);
    expect(html).to.match(/<svg/);
    for (const t of trials) expect(html).to.include(`<td>${t.index + 1}</td><td>${formatSample(t.lr)}</td><td>${formatSample(t.weightDecay)}</td><td>${(100 * t.validationAccuracy).toFixed(2)}%</td>`);
  });

  it('prints the best configuration as train flags; with --validation, train repeats the best trial exactly', () => {
    const best = (first.trials as Trial[])[first.best as number];
    const argv = first.bestArgs as string[];
    expect(first.bestCommand).to.equal(`tenfold train ${argv.join(' ')}`);
    const f = parseFlags(argv, trainCommand.specs);
    expect([f.model, f.lr, f['weight-decay'], f.epochs, f.hidden, f.validation]).to.deep.equal(['mlp', best.lr, best.weightDecay, 1, [16], undefined]);
    const r = run('scripts/train.ts', [...(first.repeatArgs as string[]), '--json', '--quiet']);
    expect(r.status, r.stderr).to.equal(0);
    expect([r.json().validationAccuracy, r.json().validationLoss]).to.deep.equal([best.validationAccuracy, best.validationLoss]);
  });

  it('run again, it reads every trial back and trains nothing; a changed flag is refused, naming it', () => {
    const again = run('scripts/search.ts', args).json();
    expect((again.trials as Trial[]).every((t) => t.resumed)).to.equal(true);
    expect(again.trials).to.deep.equal((first.trials as Trial[]).map((t) => ({ ...t, resumed: true })));
    const saved = readFileSync(join(out, SEARCH_FILE), 'utf8');
    const other = run('scripts/search.ts', [...args, '--weight-decay', '1e-6:1e-2']);
    expect(other.status).to.equal(2);
    expect(other.stderr).to.include('search.json describes a different search (--weight-decay is 1e-8:0.0001 there but 0.000001:0.01 now)');
    expect(readFileSync(join(out, SEARCH_FILE), 'utf8')).to.equal(saved);
    expect(readSearchManifest(out).trials).to.have.length(3);
  });

  it('refuses a search without held-out examples, a bad range and a queue URL that is not Redis\'s, each naming the flag', () => {
    const none = run('scripts/search.ts', ['--trials', '1']);
    expect(none.status).to.equal(2);
    expect(none.stderr).to.match(/--validation N is required: each trial is scored on N held-out training examples, never on the test set/);
    expect(run('scripts/search.ts', ['--validation', '0']).stderr).to.match(/--validation: expected a whole number ≥ 1, got "0"/);
    const range = run('scripts/search.ts', ['--validation', '100', '--lr', '0.1:0.01']);
    expect(range.status).to.equal(2);
    expect(range.stderr).to.match(/--lr: expected LOW:HIGH, two numbers > 0 with LOW < HIGH, got "0\.1:0\.01"/);
    const queue = run('scripts/search.ts', ['--validation', '100', '--queue', 'localhost:6379']);
    expect(queue.status).to.equal(2);
    expect(queue.stderr).to.include('--queue: expected a redis:// (or rediss://) URL, got "localhost:6379"');
  });
});
