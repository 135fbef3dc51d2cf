/**
 * `tenfold ensemble`: K members on worker threads (or, with --queue, on `tenfold worker`s through
 * Redis), averaged and voted; the same command resumes.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import * as t from 'io-ts';
import { augmentNames } from '../../augment/presets.ts';
import { registeredDatasetNames } from '../../data/registry.ts';
import { loadDataset } from '../../data/datasets.ts';
import type { EnsembleManifest } from '../../ensemble/manifest.ts';
import type { MemberEvent, MemberOutcome } from '../../ensemble/member-task.ts';
import { planEnsemble } from '../../ensemble/plan.ts';
import { ensemblePresetNames, ensemblePresets } from '../../ensemble/presets.ts';
import { writeEnsembleReport } from '../../ensemble/report.ts';
import { trainEnsemble, type EnsembleRun } from '../../ensemble/train-ensemble.ts';
import { queueUrlProblem } from '../../queue/job-id.ts';
import { loadQueueModule } from '../../queue/optional.ts';
import { claimDirectory } from '../../jobs/lock.ts';
import { activeKernels } from '../../kernels/backend.ts';
import { modelNames } from '../../models/registry.ts';
import { optimizerNames } from '../../optim/optimizers.ts';
import { scheduleNames } from '../../optim/schedule-names.ts';
import { formatMB, readMemory } from '../../report/memory.ts';
import { progress, type Progress } from '../../report/progress.ts';
import { listOf, NonNegativeNumber, oneOf, PositiveInt, PositiveIntList, PositiveNumber, Probability, Seed } from '../codecs.ts';
import { UsageError, type Flags } from '../args.ts';
import { helpFlag, type Command } from '../command.ts';
import { prepareOutputDir, prepareOutputFile } from '../output-paths.ts';
import { stopOnSignals } from '../signals.ts';

const specs = {
  preset: { codec: oneOf(ensemblePresetNames), default: 'default', help: `starting values of every flag below: ${ensemblePresetNames.join('|')}` },
  members: { codec: PositiveInt, help: 'number of members K (with --method snapshot: the cycles M of each run)' },
  method: { codec: listOf(['independent', 'snapshot', 'swa']), default: 'independent', help: 'how members are made, comma-separated: independent runs; snapshot (one warm-restarts run, each cycle\'s end a member); swa (a run\'s weight average); see docs/ensembles.md' },
  runs: { codec: PositiveInt, help: 'with --method snapshot: independent runs, each yielding --members snapshots (default 1)' },
  'swa-start': { codec: PositiveInt, help: 'with swa: the first epoch whose end is averaged (default: the last 25% of epochs, at least two; with warm-restarts every cycle end)' },
  model: { codec: listOf(modelNames), help: `architecture(s), comma-separated, used in turn: ${modelNames.join('|')}` },
  epochs: { codec: PositiveInt, help: 'epochs per member' },
  seed: { codec: Seed, default: '1', help: 'run seed; member i trains from the seed with i folded in' },
  dataset: { codec: oneOf(registeredDatasetNames()), help: `dataset: ${registeredDatasetNames().join('|')} (default: the preset's)` },
  augment: { codec: listOf(augmentNames), help: 'augmentations: crop|flip|affine|none, or default (the dataset\'s preset)' },
  schedule: { codec: oneOf(scheduleNames), help: `learning-rate schedule: ${scheduleNames.join('|')}` },
  optimizer: { codec: oneOf(optimizerNames), help: `optimizer: ${optimizerNames.join('|')}` },
  lr: { codec: PositiveNumber, help: 'peak learning rate' },
  'batch-size': { codec: PositiveInt, help: 'examples per minibatch' },
  'weight-decay': { codec: NonNegativeNumber, help: 'L2 weight decay (AdamW: decoupled)' },
  'max-loss': { codec: NonNegativeNumber, help: 'stop a member whose step loss exceeds this (default: 100 × the largest of its first 20 steps; 0: no bound)' },
  hidden: { codec: PositiveIntList, default: '100', help: 'hidden sizes, for mlp members' },
  validation: { codec: PositiveInt, help: 'hold out this many training examples per member (stratified, seeded) and measure them every epoch' },
  'label-smoothing': { codec: Probability, help: 'label smoothing ε of the cross-entropy, in [0, 1)' },
  tta: { codec: PositiveInt, help: 'test-time augmentation: average over this many views (1: off)' },
  out: { codec: t.string, help: 'directory for checkpoints, ensemble.json and report.html (default runs/ensemble-<preset>-<dataset>-<seed>)' },
  workers: { codec: PositiveInt, help: `worker threads (default: one per core, here ${availableParallelism()})` },
  queue: { codec: t.string, help: 'train the members on `tenfold worker`s through this Redis, redis://HOST:PORT (--out must be on a file system they share)' },
  report: { codec: t.string, help: 'HTML report file (default OUT/report.html)' },
  quiet: { codec: 'boolean', help: 'no progress lines' },
  json: { codec: 'boolean', help: 'print one JSON object as the last line' },
  help: helpFlag,
} as const;

/** The ensemble directory's claim is a lease of this long, renewed every third of it. */
const COORDINATOR_LEASE_MS = 60_000;

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** A member's validation accuracy (with --validation): an SWA model's own, else its last epoch's. */
const validationOf = (m: MemberOutcome): { readonly validationAccuracy?: number } => {
  const v = m.validationAccuracy ?? m.history.epochs.at(-1)?.validationAccuracy;
  return v === undefined ? {} : { validationAccuracy: v };
};

/** The ensemble command. */
export const ensembleCommand: Command<typeof specs> = {
  name: 'ensemble', summary: 'train K members on worker threads, average and vote them', specs,
  run: async (flags) => {
    const queueProblem = flags.queue === undefined ? undefined : queueUrlProblem(flags.queue);
    if (queueProblem !== undefined) throw new UsageError(`--queue: ${queueProblem}`);
    if (flags.queue !== undefined && flags.method.some((m) => m !== 'independent')) {
      throw new UsageError(`--method ${flags.method.join(',')} runs locally; the queue takes independent members (drop --queue or --method)`);
    }
    const manifest = planEnsemble(flags.preset, flags.seed, {
      members: flags.members, models: flags.model, epochs: flags.epochs, dataset: flags.dataset, augment: flags.augment,
      schedule: flags.schedule, optimizer: flags.optimizer, lr: flags.lr, batchSize: flags['batch-size'],
      weightDecay: flags['weight-decay'], tta: flags.tta, hidden: flags.hidden, maxLoss: flags['max-loss'],
      validation: flags.validation, labelSmoothing: flags['label-smoothing'],
      method: flags.method, runs: flags.runs, swaStart: flags['swa-start'],
    });
    const first = manifest.members[0].config;
    // every path the run writes is checked before any training
    const out = prepareOutputDir('--out', resolve(flags.out ?? join('runs', `ensemble-${flags.preset}-${first.dataset}-${flags.seed}`)));
    const report = prepareOutputFile('--report', flags.report ?? join(out, 'report.html'));
    // a lease, renewed while this process runs: a coordinator killed outright (out of memory, a
    // container replaced) frees --out once it runs out, for the same command in another container
    const claim = claimDirectory(out, { leaseMs: COORDINATOR_LEASE_MS });
    const renewal = setInterval(() => {
      if (!claim.renew()) process.stderr.write(`warning: the lease on ${out} was taken over by another process\n`);
    }, COORDINATOR_LEASE_MS / 3);
    try { await train(flags, manifest, out, report); } finally { clearInterval(renewal); claim.release(); }
  },
};

const train = async (flags: Flags<typeof specs>, manifest: EnsembleManifest, out: string, report: string): Promise<void> => {
    const first = manifest.members[0].config;
    const log = (s: string): void => { if (!flags.quiet) process.stdout.write(`${s}\n`); };
    const k = manifest.members.length;
    // events and stops name what trains: the members, or the runs that yield them (--method snapshot, swa)
    const units = manifest.runs ?? manifest.members;
    const unit = manifest.runs === undefined ? 'member' : 'run';
    const bars = new Map<number, Progress>(units.map((m) => [m.index,
      progress({ epochs: m.config.epochs, quiet: flags.quiet, tty: false, label: `${unit} ${m.index + 1}/${units.length}` })]));
    const stop = stopOnSignals((name) => log(`${name}: stopping every member at its next step (each checkpoints in ${out}); send it again to stop at once`));
    log(`ensemble of ${k} (${[...new Set(manifest.members.map((m) => m.config.model))].join(', ')}) on ${first.dataset}, kernels ${activeKernels().name}, out ${out}`);
    const events = {
      tta: flags.tta ?? ensemblePresets[flags.preset].tta, signal: stop.signal,
      onEvent: (e: MemberEvent) => {
        const bar = bars.get(e.index);
        if (e.kind === 'step') bar?.onStep(e.info);
        else if (e.kind === 'epoch') bar?.onEpoch(undefined, { epochs: [e.record] });
        else log(`${unit} ${e.index + 1}/${units.length}: ${e.text}`);
      },
      onMember: (r: MemberOutcome) => log(`member ${r.index + 1}/${k}: test ${pct(r.testAccuracy)}${r.resumed ? ' (resumed)' : ''} in ${r.seconds.toFixed(0)} s`),
    };
    if (flags.queue !== undefined) log(`members go through the queue at ${flags.queue}: start \`tenfold worker --queue ${flags.queue}\` where --out is shared`);
    // warnings (Redis gone and back, members on different kernels) go to stderr, even with --quiet
    const warn = (s: string): void => { process.stderr.write(`warning: ${s}\n`); };
    const queued = flags.queue === undefined ? undefined
      : await (await loadQueueModule(() => import('../../queue/coordinator.ts'))).trainEnsembleOnQueue(out, manifest, { ...events, url: flags.queue, onWarning: warn });
    const run: EnsembleRun = queued ?? await trainEnsemble(out, manifest, { ...events, workers: flags.workers });
    if (run.stopped && flags.queue !== undefined) {
      log(`stopped waiting: members ${run.members.map((r) => r.index + 1).join(', ')} stay queued and the workers go on; run the same command again to wait for them`);
      process.exitCode = stop.exitCode() ?? 1;
      return;
    }
    if (run.stopped) {
      log(`stopped: ${run.members.map((r) => `${unit} ${r.index + 1} ${r.checkpoint ? `at ${r.checkpoint}` : 'not started'}`).join(', ')}; run the same command again to resume`);
      process.exitCode = stop.exitCode() ?? 1;
      return;
    }
    stop.dispose();
    const { summary, outcomes } = run;
    await writeEnsembleReport(report, { manifest, out, outcomes, summary, data: loadDataset(first.dataset, false) });
    log(summary.members.map((m) => `  member ${m.index + 1}: ${pct(m.testAccuracy)}`).join('\n'));
    log(`ensemble (mean of softmax): ${pct(summary.ensembleAccuracy)}   majority vote: ${pct(summary.voteAccuracy)}   best member: ${pct(summary.bestMemberAccuracy)}`);
    const { peakRssMB } = readMemory();
    log(`${run.seconds.toFixed(0)} s, peak RSS ${formatMB(peakRssMB)}; report ${report}`);
    if (!flags.json) return;
    process.stdout.write(`${JSON.stringify({
      dataset: first.dataset, preset: flags.preset, out, ...(manifest.methods === undefined ? {} : { method: manifest.methods }),
      members: summary.members.map((m) => ({
        index: m.index, model: manifest.members[m.index].config.model, testAccuracy: m.testAccuracy, seconds: m.seconds, resumed: m.resumed,
        ...(m.from === undefined ? {} : { from: m.from }), ...validationOf(m),
        ...(queued === undefined ? {} : { trainedOn: queued.trainedOn.get(m.index) ?? [] }),
      })),
      ensembleAccuracy: summary.ensembleAccuracy, voteAccuracy: summary.voteAccuracy, bestMemberAccuracy: summary.bestMemberAccuracy,
      workers: Math.min(flags.workers ?? availableParallelism(), k), ...(queued === undefined ? {} : { queue: flags.queue, warnings: queued.warnings }),
      seconds: run.seconds, peakRssMB: Math.round(peakRssMB), kernels: activeKernels().name,
    })}\n`);
};
