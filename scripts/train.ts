/** Trains one model on MNIST or Fashion-MNIST and reports accuracy: `npm run train -- --help`. */
import * as t from 'io-ts';
import { parseFlags, runMain, usage } from '../lib/cli/args.ts';
import { jobFlagSpecs, modelFlag } from '../lib/cli/job-flags.ts';
import { activeKernels } from '../lib/kernels/backend.ts';
import { key } from '../lib/random.ts';
import { writeJobReport } from '../lib/run/job-report.ts';
import { runJob } from '../lib/run/job.ts';
import { claimDirectory } from '../lib/run/lock.ts';
import { paramsSha256 } from '../lib/train/hash.ts';
import { readMemory } from '../lib/train/memory.ts';
import { progress } from '../lib/train/progress.ts';

const specs = {
  model: modelFlag('mlp'),
  ...jobFlagSpecs,
  out: { codec: t.string, help: 'checkpoint directory (a checkpoint after every epoch)' },
  resume: { codec: 'boolean', help: 'continue from the checkpoint in --out' },
  report: { codec: t.string, help: 'write an HTML report to this file' },
} as const;

runMain('train', specs, async () => {
  const flags = parseFlags(process.argv.slice(2), specs);
  if (flags.help) { process.stdout.write(`${usage('train', specs)}\n`); return; }
  if (flags.resume && flags.out === undefined) throw new Error('--resume needs --out DIR (where the checkpoint is)');
  if (flags.out !== undefined) claimDirectory(flags.out);
  const config = {
    model: flags.model, hidden: flags.hidden, init: flags.init, optimizer: flags.optimizer, lr: flags.lr,
    schedule: flags.schedule, batchSize: flags['batch-size'], epochs: flags.epochs, weightDecay: flags['weight-decay'],
    dataset: flags.dataset, augment: flags.augment, trainEvalLimit: flags['train-eval-limit'],
  };
  const started = performance.now();
  if (!flags.quiet) process.stdout.write(`training ${flags.model} on ${flags.dataset} with ${flags.optimizer} (lr ${flags.lr}, ${flags.schedule}), kernels: ${activeKernels().name}\n`);
  const bar = progress({ epochs: flags.epochs, quiet: flags.quiet });
  // the process's resident set after each epoch of this run: flat once the first epoch has warmed up
  const rssMBAfterEpoch: number[] = [];
  const hooks = { onStep: bar.onStep, onEpoch: (...a: Parameters<typeof bar.onEpoch>) => { bar.onEpoch(...a); rssMBAfterEpoch.push(readMemory().rssMB); } };
  const job = (() => {
    try { return runJob(config, key(flags.seed), { checkpointDir: flags.out, resume: flags.resume }, hooks); } finally { bar.stop(); }
  })();
  const last = job.history.epochs[job.history.epochs.length - 1];
  if (flags.report !== undefined) await writeJobReport(flags.report, [{ name: flags.model, job }]);
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
