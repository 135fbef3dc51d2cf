/** Trains one model on a registered dataset (MNIST, Fashion-MNIST) and reports accuracy: `npm run train -- --help`. */
import { existsSync } from 'node:fs';
import * as t from 'io-ts';
import { parseFlags, runMain, usage, UsageError } from '../lib/cli/args.ts';
import { jobFlagSpecs, modelFlag } from '../lib/cli/job-flags.ts';
import { prepareOutputDir, prepareOutputFile } from '../lib/cli/output-paths.ts';
import { stopOnSignals } from '../lib/cli/signals.ts';
import { activeKernels } from '../lib/kernels/backend.ts';
import { key } from '../lib/random.ts';
import { writeJobReport } from '../lib/jobs/job-report.ts';
import { runJob, storageProblem } from '../lib/jobs/job.ts';
import { claimDirectory } from '../lib/jobs/lock.ts';
import { paramsSha256 } from '../lib/train/hash.ts';
import { readMemory } from '../lib/report/memory.ts';
import { progress } from '../lib/report/progress.ts';

const specs = {
  model: modelFlag('mlp'),
  ...jobFlagSpecs,
  out: { codec: t.string, help: 'checkpoint directory (a checkpoint after every epoch, and where a signal stops it)' },
  resume: { codec: 'boolean', help: 'continue from the checkpoint in --out' },
  report: { codec: t.string, help: 'write an HTML report to this file' },
} as const;

runMain('train', specs, async () => {
  const flags = parseFlags(process.argv.slice(2), specs);
  if (flags.help) { process.stdout.write(`${usage('train', specs)}\n`); return; }
  if (flags.resume && flags.out === undefined) throw new UsageError('--resume needs --out DIR (where the checkpoint is)');
  if (flags.resume && !existsSync(flags.out as string)) throw new UsageError(`--out ${flags.out}: no such directory to resume from`);
  // every path the run writes is checked before any training
  const out = flags.out === undefined ? undefined : prepareOutputDir('--out', flags.out);
  const report = flags.report === undefined ? undefined : prepareOutputFile('--report', flags.report);
  const release = out === undefined ? () => {} : claimDirectory(out);
  const problem = storageProblem({ checkpointDir: out, resume: flags.resume });
  if (problem !== undefined) { release(); throw new UsageError(problem); }
  const log = (s: string): void => { if (!flags.quiet) process.stderr.write(`${s}\n`); };
  const stop = stopOnSignals((name) => log(`${name}: stopping at the next step${out ? `, checkpoint in ${out}` : ''}; send it again to stop at once`));
  const config = {
    model: flags.model, hidden: flags.hidden, init: flags.init, optimizer: flags.optimizer, lr: flags.lr,
    schedule: flags.schedule, batchSize: flags['batch-size'], epochs: flags.epochs, weightDecay: flags['weight-decay'],
    dataset: flags.dataset, augment: flags.augment, trainEvalLimit: flags['train-eval-limit'], maxLoss: flags['max-loss'],
  };
  const started = performance.now();
  if (!flags.quiet) process.stdout.write(`training ${flags.model} on ${flags.dataset} with ${flags.optimizer} (lr ${flags.lr}, ${flags.schedule}), kernels: ${activeKernels().name}\n`);
  const bar = progress({ epochs: flags.epochs, quiet: flags.quiet });
  // the process's resident set after each epoch of this run: flat once the first epoch has warmed up
  const rssMBAfterEpoch: number[] = [];
  const hooks = { onStep: bar.onStep, onEpoch: (...a: Parameters<typeof bar.onEpoch>) => { bar.onEpoch(...a); rssMBAfterEpoch.push(readMemory().rssMB); } };
  const storage = { checkpointDir: out, resume: flags.resume, signal: stop.signal, onNote: log };
  const job = await runJob(config, key(flags.seed), storage, hooks).finally(() => bar.stop());
  if (job.interrupted) {
    log(`stopped at step ${job.state.step}${job.checkpoint ? `; saved ${job.checkpoint}: continue with --resume` : ' (no --out: nothing saved)'}`);
    release();
    process.exitCode = stop.exitCode();
    return;
  }
  stop.dispose();
  const last = job.history.epochs[job.history.epochs.length - 1];
  if (report !== undefined) await writeJobReport(report, [{ name: flags.model, job }]);
  const summary = {
    model: flags.model, dataset: flags.dataset, optimizer: flags.optimizer, lr: flags.lr, schedule: flags.schedule,
    batchSize: flags['batch-size'], epochs: flags.epochs, seed: flags.seed, resumed: job.resumed,
    trainAccuracy: last.trainAccuracy, testAccuracy: last.testAccuracy,
    secondsPerEpoch: job.history.epochs.reduce((s, e) => s + e.seconds, 0) / job.history.epochs.length,
    seconds: (performance.now() - started) / 1000, kernels: activeKernels().name, paramsSha256: paramsSha256(job.state.params),
    rssMBAfterEpoch: rssMBAfterEpoch.map((mb) => Math.round(mb)), peakRssMB: Math.round(readMemory().peakRssMB),
  };
  process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `test accuracy ${(100 * (last.testAccuracy ?? 0)).toFixed(2)}%\n`);
});
