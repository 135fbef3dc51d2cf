/**
 * `tenfold search`: the book's random hyperparameter search (chapter 6). N trials, each with a
 * learning rate and a weight decay sampled log-uniformly from the seed, trained on worker threads
 * (or, with --queue, on `tenfold worker`s through Redis) on the training set minus a held-out split
 * and scored on that split (never on the test set);
 * the same command resumes. Prints the trials, writes OUT/report.html, and prints the best
 * configuration as a `tenfold train` command.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import * as t from 'io-ts';
import type { MemberEvent } from '../../ensemble/member-task.ts';
import { claimDirectory } from '../../jobs/lock.ts';
import { queueUrlProblem } from '../../queue/job-id.ts';
import { activeKernels } from '../../kernels/backend.ts';
import { formatMB, readMemory } from '../../report/memory.ts';
import { progress, type Progress } from '../../report/progress.ts';
import type { SearchManifest } from '../../search/manifest.ts';
import { rankTrials, type TrialResult } from '../../search/outcome.ts';
import { planSearch, type SearchBase } from '../../search/plan.ts';
import { writeSearchReport } from '../../search/report.ts';
import { runSearch } from '../../search/run-search.ts';
import { formatSample } from '../../search/sample.ts';
import { UsageError, type Flags } from '../args.ts';
import { PositiveInt, PositiveRange } from '../codecs.ts';
import type { Command } from '../command.ts';
import { jobFlagSpecs, modelFlag } from '../job-flags.ts';
import { prepareOutputDir, prepareOutputFile } from '../output-paths.ts';
import { stopOnSignals } from '../signals.ts';
import { trainArgs, trainCommandLine } from '../train-command-line.ts';

// the job flags, with quiet, json and help moved to the end of the usage text
const { quiet, json, help, ...jobFlags } = jobFlagSpecs;
const specs = {
  model: modelFlag('mlp'),
  trials: { codec: PositiveInt, default: '20', help: 'number of trials; trial i is the same whatever the number, so a rerun with more adds trials' },
  ...jobFlags,
  lr: { codec: PositiveRange, default: '1e-4:1e-1', help: 'learning-rate range LOW:HIGH, sampled log-uniformly' },
  'weight-decay': { codec: PositiveRange, default: '1e-8:1e-4', help: 'weight-decay range LOW:HIGH, sampled log-uniformly (AdamW: decoupled)' },
  validation: { codec: PositiveInt, help: 'required: hold out this many training examples (stratified, seeded, the same for every trial) and score the trials on them, never on the test set' },
  workers: { codec: PositiveInt, help: `worker threads (default: one per core, here ${availableParallelism()})` },
  out: { codec: t.string, help: 'directory for search.json, the trials\' checkpoints and report.html (default runs/search-<model>-<dataset>-<seed>)' },
  report: { codec: t.string, help: 'HTML report file (default OUT/report.html)' },
  queue: { codec: t.string, help: 'train the trials on `tenfold worker`s through this Redis, redis://HOST:PORT (--out must be on a file system they share)' },
  quiet, json, help,
} as const;
type SearchFlags = Flags<typeof specs>;

const baseOf = (f: SearchFlags): SearchBase => ({
  model: f.model, hidden: f.hidden, init: f.init, optimizer: f.optimizer, schedule: f.schedule, batchSize: f['batch-size'],
  epochs: f.epochs, dataset: f.dataset, augment: f.augment, trainEvalLimit: f['train-eval-limit'],
  maxLoss: f['max-loss'], validation: f.validation, labelSmoothing: f['label-smoothing'],
  earlyStopping: f['early-stopping'] === undefined ? undefined : { monitor: 'validationLoss', patience: f['early-stopping'] },
});

const pct = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(2)}%`);

/** The trials as a text table, best first. */
const table = (trials: readonly TrialResult[]): string => {
  const rows = [['trial', 'lr', 'weight decay', 'val acc', 'val loss', 'epochs', 'seconds'], ...rankTrials(trials).map((r) => [
    String(r.index + 1), formatSample(r.lr), formatSample(r.weightDecay), r.diverged === undefined ? pct(r.validationAccuracy) : 'diverged',
    r.validationLoss === null ? '–' : r.validationLoss.toFixed(4), r.diverged === undefined ? String(r.epochs) : '–', r.seconds.toFixed(1),
  ])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => `  ${row.map((cell, c) => cell.padStart(widths[c])).join('  ')}`).join('\n');
};

/** The search command. */
export const searchCommand: Command<typeof specs> = {
  name: 'search', summary: 'random search of the learning rate and weight decay, scored on held-out training examples', specs,
  run: async (flags) => {
    const queueProblem = flags.queue === undefined ? undefined : queueUrlProblem(flags.queue);
    if (queueProblem !== undefined) throw new UsageError(`--queue: ${queueProblem}`);
    if (flags.validation === undefined) throw new UsageError('--validation N is required: each trial is scored on N held-out training examples, never on the test set');
    const manifest = planSearch(baseOf(flags), { lr: flags.lr, weightDecay: flags['weight-decay'] }, flags.seed, flags.trials);
    // every path the run writes is checked before any training
    const out = prepareOutputDir('--out', resolve(flags.out ?? join('runs', `search-${flags.model}-${flags.dataset}-${flags.seed}`)));
    const report = prepareOutputFile('--report', flags.report ?? join(out, 'report.html'));
    const release = claimDirectory(out);
    try { await search(flags, manifest, out, report); } finally { release(); }
  },
};

const search = async (flags: SearchFlags, manifest: SearchManifest, out: string, report: string): Promise<void> => {
  const log = (s: string): void => { if (!flags.quiet) process.stdout.write(`${s}\n`); };
  const n = manifest.trials.length;
  const bars = new Map<number, Progress>(manifest.trials.map((tr) => [tr.index,
    progress({ epochs: tr.config.epochs, quiet: flags.quiet, tty: false, label: `trial ${tr.index + 1}/${n}` })]));
  const stop = stopOnSignals((name) => log(flags.queue === undefined
    ? `${name}: stopping every trial at its next step (each checkpoints in ${out}); send it again to stop at once`
    : `${name}: stopping the wait; the trials stay queued and the workers go on`));
  const warnings: string[] = [];
  const warn = (line: string): void => { warnings.push(line); process.stderr.write(`warning: ${line}\n`); };
  log(`search of ${n} trials (${flags.model} on ${flags.dataset}; lr ${flags.lr.low}:${flags.lr.high}, weight decay ${flags['weight-decay'].low}:${flags['weight-decay'].high}, `
    + `log-uniform; scored on ${flags.validation} held-out examples), kernels ${activeKernels().name}, out ${out}`);
  if (flags.queue !== undefined) log(`trials go through the queue at ${flags.queue}: start \`tenfold worker --queue ${flags.queue}\` where --out is shared`);
  const run = await runSearch(out, manifest, {
    workers: flags.workers, signal: stop.signal, ...(flags.queue === undefined ? {} : { queue: { url: flags.queue, onWarning: warn } }),
    onEvent: (e: MemberEvent) => {
      const bar = bars.get(e.index);
      if (e.kind === 'step') bar?.onStep(e.info);
      else if (e.kind === 'epoch') bar?.onEpoch(undefined, { epochs: [e.record] });
      else log(`trial ${e.index + 1}/${n}: ${e.text}`);
    },
    onTrial: (r) => log(`trial ${r.index + 1}/${n}: ${r.diverged !== undefined ? `diverged (${r.diverged})`
      : `validation ${pct(r.validationAccuracy)} (loss ${r.validationLoss?.toFixed(4) ?? '–'})`} with lr ${formatSample(r.lr)}, weight decay ${formatSample(r.weightDecay)}${r.resumed ? ' (resumed)' : ''}`),
  });
  if (run.stopped && flags.queue !== undefined) {
    log(`stopped waiting: trials ${run.trials.map((r) => r.index + 1).join(', ')} stay queued and the workers go on; run the same command again to wait for them`);
    process.exitCode = stop.exitCode() ?? 1;
    return;
  }
  if (run.stopped) {
    log(`stopped: ${run.trials.map((r) => `trial ${r.index + 1} ${r.checkpoint ? `at ${r.checkpoint}` : 'not started'}`).join(', ')}; run the same command again to resume`);
    process.exitCode = stop.exitCode() ?? 1;
    return;
  }
  stop.dispose();
  const { trials, best } = run;
  const args = best === undefined ? undefined : trainArgs(manifest.trials[best.index].config, manifest.seed, { validation: false });
  const exact = best === undefined ? undefined : trainArgs(manifest.trials[best.index].config, manifest.seed, { validation: true });
  const command = args === undefined ? undefined : trainCommandLine(args);
  await writeSearchReport(report, { manifest, trials, best, bestCommand: command });
  log(table(trials));
  if (best === undefined) {
    log('every trial diverged: try a lower --lr range');
    process.exitCode = 1;
  } else {
    log(`best: trial ${best.index + 1}, validation ${pct(best.validationAccuracy)} with lr ${formatSample(best.lr)}, weight decay ${formatSample(best.weightDecay)}; on the whole training set:`);
    log(`  ${command ?? ''}`);
    if (exact !== undefined && exact.join(' ') !== args?.join(' ')) log(`  (repeat trial ${best.index + 1} exactly: ${trainCommandLine(exact)})`);
  }
  const { peakRssMB } = readMemory();
  log(`${run.seconds.toFixed(0)} s, peak RSS ${formatMB(peakRssMB)}; report ${report}`);
  if (!flags.json) return;
  process.stdout.write(`${JSON.stringify({
    model: flags.model, dataset: flags.dataset, out, report, seed: manifest.seed, validation: flags.validation, space: manifest.space,
    trials: trials.map((r) => ({
      index: r.index, lr: r.lr, weightDecay: r.weightDecay, validationAccuracy: r.validationAccuracy, validationLoss: r.validationLoss,
      epochs: r.epochs, seconds: r.seconds, resumed: r.resumed, ...(r.diverged === undefined ? {} : { diverged: r.diverged }),
    })),
    best: best === undefined ? null : best.index, bestArgs: args ?? null, bestCommand: command ?? null, repeatArgs: exact ?? null,
    ...(flags.queue === undefined ? { workers: Math.min(flags.workers ?? availableParallelism(), n) } : { queue: flags.queue, warnings }), seconds: run.seconds, peakRssMB: Math.round(peakRssMB), kernels: activeKernels().name,
  })}\n`);
};
