/**
 * Trains K members on worker threads and averages them: `npm run ensemble -- --help`.
 * Run again with the same --out and it resumes: finished members load, unfinished ones continue.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import * as t from 'io-ts';
import { Piscina } from 'piscina';
import { augmentNames } from '../lib/augment/presets.ts';
import { parseFlags, runMain, usage, UsageError } from '../lib/cli/args.ts';
import { listOf, NonNegativeNumber, oneOf, PositiveInt, PositiveIntList, PositiveNumber, Seed } from '../lib/cli/codecs.ts';
import { prepareOutputDir, prepareOutputFile } from '../lib/cli/output-paths.ts';
import { stopOnSignals } from '../lib/cli/signals.ts';
import { checkpointFiles } from '../lib/train/checkpoint.ts';
import { loadDataset } from '../lib/data/datasets.ts';
import { registeredDatasetNames } from '../lib/data/registry.ts';
import { summariseEnsemble } from '../lib/ensemble/summary.ts';
import { claimDirectory } from '../lib/jobs/lock.ts';
import { firstDifference, readEnsembleManifest, writeEnsembleManifest, ENSEMBLE_FILE, type EnsembleManifest } from '../lib/ensemble/manifest.ts';
import { STOP_MEMBER, type MemberOutcome, type MemberStopped, type MemberTask } from '../lib/ensemble/member-task.ts';
import { ensemblePresetNames, ensemblePresets } from '../lib/ensemble/presets.ts';
import { writeEnsembleReport } from '../lib/ensemble/report.ts';
import { activeKernels } from '../lib/kernels/backend.ts';
import { modelNames } from '../lib/models/registry.ts';
import { formatMB, readMemory } from '../lib/report/memory.ts';
import { optimizerNames } from '../lib/optim/optimizers.ts';
import { scheduleNames } from '../lib/optim/schedule-names.ts';
import { existsSync } from 'node:fs';

const specs = {
  preset: { codec: oneOf(ensemblePresetNames), default: 'default', help: `starting values of every flag below: ${ensemblePresetNames.join('|')}` },
  members: { codec: PositiveInt, help: 'number of members K' },
  model: { codec: listOf(modelNames), help: `architecture(s), comma-separated, used in turn: ${modelNames.join('|')}` },
  epochs: { codec: PositiveInt, help: 'epochs per member' },
  seed: { codec: Seed, default: '1', help: 'run seed; member i trains from the seed with i folded in' },
  dataset: { codec: oneOf(registeredDatasetNames()), help: `dataset: ${registeredDatasetNames().join('|')} (default: the preset's, mnist but for --preset fashion)` },
  augment: { codec: listOf(augmentNames), help: 'augmentations: crop|flip|affine|none, or default (the dataset\'s preset)' },
  schedule: { codec: oneOf(scheduleNames), help: `learning-rate schedule: ${scheduleNames.join('|')}` },
  optimizer: { codec: oneOf(optimizerNames), help: `optimizer: ${optimizerNames.join('|')}` },
  lr: { codec: PositiveNumber, help: 'peak learning rate' },
  'batch-size': { codec: PositiveInt, help: 'examples per minibatch' },
  'weight-decay': { codec: NonNegativeNumber, help: 'L2 weight decay (AdamW: decoupled)' },
  'max-loss': { codec: NonNegativeNumber, help: 'stop a member whose step loss exceeds this (default: 100 × the largest of its first 20 steps; 0: no bound)' },
  hidden: { codec: PositiveIntList, default: '100', help: 'hidden sizes, for mlp members' },
  tta: { codec: PositiveInt, help: 'test-time augmentation: average over this many views (1: off)' },
  out: { codec: t.string, help: 'directory for checkpoints, ensemble.json and report.html (default runs/ensemble-<preset>-<dataset>-<seed>)' },
  workers: { codec: PositiveInt, help: `worker threads (default: one per core, here ${availableParallelism()})` },
  report: { codec: t.string, help: 'HTML report file (default OUT/report.html)' },
  quiet: { codec: 'boolean', help: 'no progress lines' },
  json: { codec: 'boolean', help: 'print one JSON object as the last line' },
  help: { codec: 'boolean', help: 'show this help' },
} as const;

runMain('ensemble', specs, async () => {
  const flags = parseFlags(process.argv.slice(2), specs);
  if (flags.help) { process.stdout.write(`${usage('ensemble', specs)}\n`); return; }
  const preset = ensemblePresets[flags.preset];
  const members = flags.members ?? preset.members;
  const modelList = flags.model ?? preset.models;
  const dataset = flags.dataset ?? preset.dataset;
  if (modelList.length === 0) throw new UsageError('--model: give at least one model');
  // every path the run writes is checked before any training
  const out = prepareOutputDir('--out', resolve(flags.out ?? join('runs', `ensemble-${flags.preset}-${dataset}-${flags.seed}`)));
  const report = prepareOutputFile('--report', flags.report ?? join(out, 'report.html'));
  const release = claimDirectory(out);
  const manifest: EnsembleManifest = {
    format: 'tenfold-ensemble', version: 1, seed: flags.seed,
    members: Array.from({ length: members }, (_, index) => ({
      index, dir: `member-${index + 1}`,
      config: {
        model: modelList[index % modelList.length], hidden: flags.hidden, optimizer: flags.optimizer ?? preset.optimizer,
        lr: flags.lr ?? preset.lr, schedule: flags.schedule ?? preset.schedule, batchSize: flags['batch-size'] ?? preset.batchSize,
        epochs: flags.epochs ?? preset.epochs, weightDecay: flags['weight-decay'] ?? preset.weightDecay, dataset,
        augment: flags.augment ?? preset.augment, trainEvalLimit: preset.trainEvalLimit, maxLoss: flags['max-loss'],
      },
    })),
  };
  if (existsSync(join(out, ENSEMBLE_FILE))) {
    const difference = firstDifference(readEnsembleManifest(out), manifest);
    if (difference !== undefined) {
      release();
      throw new UsageError(`--out ${out}: ${ENSEMBLE_FILE} describes a different ensemble (${difference}); use the same flags to resume it, or another --out`);
    }
  } else {
    const stray = manifest.members.find((m) => checkpointFiles(join(out, m.dir)).length > 0);
    if (stray !== undefined) {
      release();
      throw new UsageError(`--out ${out} has no ${ENSEMBLE_FILE} but ${stray.dir} holds checkpoints: not an ensemble this command wrote; choose another --out`);
    }
    writeEnsembleManifest(out, manifest);
  }
  const workers = Math.min(flags.workers ?? availableParallelism(), members);
  const tta = flags.tta ?? preset.tta;
  // with a worker per core, each worker's kernels use one thread (more would only contend)
  const threadsPerWorker = Math.max(1, Math.floor(availableParallelism() / workers));
  const pool = new Piscina({
    filename: new URL('../lib/ensemble/worker.ts', import.meta.url).href,
    minThreads: workers, maxThreads: workers, idleTimeout: 1000, concurrentTasksPerWorker: 1,
    env: { ...process.env, TENFOLD_THREADS: process.env.TENFOLD_THREADS ?? String(threadsPerWorker) },
  });
  const log = (s: string): void => { if (!flags.quiet) process.stdout.write(s.endsWith('\n') ? s : `${s}\n`); };
  log(`ensemble of ${members} (${[...new Set(modelList)].join(', ')}) on ${dataset}, ${workers} workers, kernels ${activeKernels().name}, out ${out}`);
  const started = performance.now();
  const ports = new Set<MessagePort>();
  const stop = stopOnSignals((name) => {
    log(`${name}: stopping every member at its next step (each checkpoints in ${out}); send it again to stop at once`);
    for (const port of ports) port.postMessage(STOP_MEMBER);
  });
  const results = await Promise.all(manifest.members.map(async (m): Promise<MemberOutcome | MemberStopped> => {
    const channel = new MessageChannel();
    ports.add(channel.port2);
    channel.port2.on('message', (line: string) => log(line));
    const task: MemberTask = {
      index: m.index, members, seed: flags.seed, config: m.config, checkpointDir: join(out, m.dir), tta, quiet: flags.quiet,
      port: channel.port1,
    };
    try {
      const r = await pool.run(task, { transferList: [channel.port1] }) as MemberOutcome | MemberStopped;
      if (!('interrupted' in r)) log(`member ${m.index + 1}/${members}: test ${(100 * r.testAccuracy).toFixed(2)}%${r.resumed ? ' (resumed)' : ''} in ${r.seconds.toFixed(0)} s`);
      return r;
    } finally {
      ports.delete(channel.port2);
      channel.port2.close();
    }
  })).finally(() => pool.destroy());
  const stopped = results.filter((r): r is MemberStopped => 'interrupted' in r);
  if (stopped.length > 0) {
    log(`stopped: ${stopped.map((r) => `member ${r.index + 1} ${r.checkpoint ? `at ${r.checkpoint}` : 'not started'}`).join(', ')}; run the same command again to resume`);
    release();
    process.exitCode = stop.exitCode() ?? 1;
    return;
  }
  stop.dispose();
  const outcomes = results as MemberOutcome[];
  const data = loadDataset(dataset, false);
  const summary = summariseEnsemble(outcomes, data.test.labels);
  const seconds = (performance.now() - started) / 1000;
  await writeEnsembleReport(report, { manifest, out, outcomes, summary, data });
  log(summary.members.map((m) => `  member ${m.index + 1}: ${(100 * m.testAccuracy).toFixed(2)}%`).join('\n'));
  log(`ensemble (mean of softmax): ${(100 * summary.ensembleAccuracy).toFixed(2)}%   majority vote: ${(100 * summary.voteAccuracy).toFixed(2)}%   best member: ${(100 * summary.bestMemberAccuracy).toFixed(2)}%`);
  const { peakRssMB } = readMemory();
  log(`${seconds.toFixed(0)} s, peak RSS ${formatMB(peakRssMB)}; report ${report}`);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({
      dataset, preset: flags.preset, out,
      members: summary.members.map((m) => ({ index: m.index, model: manifest.members[m.index].config.model, testAccuracy: m.testAccuracy, seconds: m.seconds, resumed: m.resumed })),
      ensembleAccuracy: summary.ensembleAccuracy, voteAccuracy: summary.voteAccuracy, bestMemberAccuracy: summary.bestMemberAccuracy,
      workers, seconds, peakRssMB: Math.round(peakRssMB), kernels: activeKernels().name,
    })}\n`);
  }
});
