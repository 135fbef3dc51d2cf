/** `tenfold train`: one model on a registered dataset, with checkpoints, resume, validation and a saved model. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as t from 'io-ts';
import { writeJobReport } from '../../jobs/job-report.ts';
import { defaultSwaStart, runJob, storageProblem, type JobResult } from '../../jobs/job.ts';
import type { JobConfig } from '../../jobs/config.ts';
import { claimDirectory } from '../../jobs/lock.ts';
import { memberTestPredictions } from '../../ensemble/test-predictions.ts';
import { activeKernels } from '../../kernels/backend.ts';
import { key } from '../../random.ts';
import { readMemory } from '../../report/memory.ts';
import { progress } from '../../report/progress.ts';
import { paramsSha256 } from '../../train/hash.ts';
import { evaluateAccuracy } from '../../train/model.ts';
import { saveModel } from '../../train/saved-model.ts';
import { UsageError, type Flags } from '../args.ts';
import { PositiveInt } from '../codecs.ts';
import { helpFlag, type Command } from '../command.ts';
import { jobFlagSpecs, modelFlag } from '../job-flags.ts';
import { prepareOutputDir, prepareOutputFile } from '../output-paths.ts';
import { stopOnSignals } from '../signals.ts';

const specs = {
  model: modelFlag('mlp'),
  ...jobFlagSpecs,
  out: { codec: t.string, help: 'checkpoint directory (a checkpoint after every epoch, and where a signal stops it)' },
  resume: { codec: 'boolean', help: 'continue from the checkpoint in --out' },
  'keep-best': { codec: 'boolean', help: 'also keep the best epoch by validation loss in OUT/best (needs --out and --validation)' },
  report: { codec: t.string, help: 'write an HTML report to this file' },
  'save-model': { codec: t.string, help: 'save the trained model (architecture, weights, preprocessing, class names) to this file' },
  cycles: { codec: PositiveInt, help: 'cosine cycles of --schedule warm-restarts over the run (default 4)' },
  swa: { codec: 'boolean', help: 'also make the stochastic weight average of the last epochs (batch-norm statistics recomputed; OUT/swa with --out); see docs/ensembles.md' },
  'swa-start': { codec: PositiveInt, help: 'with --swa: the first epoch whose end is averaged (default: the last 25% of epochs, at least two; with warm-restarts every cycle end)' },
  tta: { codec: PositiveInt, default: '1', help: 'also measure the final model with test-time augmentation over this many views (as an ensemble member is; 1: off)' },
  help: helpFlag,
} as const;
type TrainFlags = Flags<typeof specs>;

const configOf = (f: TrainFlags): JobConfig => ({
  model: f.model, hidden: f.hidden, init: f.init, optimizer: f.optimizer, lr: f.lr, schedule: f.schedule, batchSize: f['batch-size'],
  epochs: f.epochs, weightDecay: f['weight-decay'], dataset: f.dataset, augment: f.augment, trainEvalLimit: f['train-eval-limit'],
  maxLoss: f['max-loss'], validation: f.validation, labelSmoothing: f['label-smoothing'],
  earlyStopping: f['early-stopping'] === undefined ? undefined : { monitor: 'validationLoss', patience: f['early-stopping'] },
  ...(f.cycles === undefined ? {} : { cycles: f.cycles }),
  ...(f.swa ? { swa: { start: f['swa-start'] ?? defaultSwaStart({ epochs: f.epochs, schedule: f.schedule }) } } : {}),
});

/** The SWA model's figures for the summary, when there is one. */
const swaSummary = (job: JobResult) => (job.swa === undefined ? {} : {
  swaAveraged: job.swa.averaged, swaTestAccuracy: evaluateAccuracy(job.model.net, job.swa, job.data.test),
  swaValidationAccuracy: job.swa.validationAccuracy, swaParamsSha256: paramsSha256(job.swa.params), swaCheckpoint: job.swa.checkpoint,
});

/** The final model's test accuracy over `tta` augmented views (the views of ensemble member 0 of this seed), or undefined for 1. */
const ttaAccuracy = (f: TrainFlags, job: JobResult): number | undefined => f.tta <= 1 ? undefined
  : memberTestPredictions(job.model.net, { params: job.trainState.params, state: job.trainState.state }, f.dataset, job.data.test, f.seed, 0, f.tta).testAccuracy;

const summaryOf = (f: TrainFlags, job: JobResult, started: number, rssMBAfterEpoch: readonly number[]) => {
  const last = job.history.epochs[job.history.epochs.length - 1];
  const ttaTestAccuracy = ttaAccuracy(f, job);
  return {
    model: f.model, dataset: f.dataset, optimizer: f.optimizer, lr: f.lr, schedule: f.schedule, batchSize: f['batch-size'], epochs: f.epochs,
    epochsTrained: job.history.epochs.length, seed: f.seed, resumed: job.resumed, trainAccuracy: last.trainAccuracy, testAccuracy: last.testAccuracy,
    validationAccuracy: last.validationAccuracy, validationLoss: last.validationLoss, best: job.best,
    ...(ttaTestAccuracy === undefined ? {} : { tta: f.tta, ttaTestAccuracy }), ...swaSummary(job),
    secondsPerEpoch: job.history.epochs.reduce((s, e) => s + e.seconds, 0) / job.history.epochs.length,
    seconds: (performance.now() - started) / 1000, kernels: activeKernels().name, paramsSha256: paramsSha256(job.trainState.params),
    rssMBAfterEpoch: rssMBAfterEpoch.map((mb) => Math.round(mb)), peakRssMB: Math.round(readMemory().peakRssMB),
  };
};

/** The train command. */
export const trainCommand: Command<typeof specs> = {
  name: 'train', summary: 'train one model', specs,
  run: async (flags) => {
    if (flags.resume && flags.out === undefined) throw new UsageError('--resume needs --out DIR (where the checkpoint is)');
    if (flags.resume && !existsSync(flags.out as string)) throw new UsageError(`--out ${flags.out}: no such directory to resume from`);
    if (flags['keep-best'] && (flags.out === undefined || flags.validation === undefined)) throw new UsageError('--keep-best needs --out DIR and --validation N');
    if (flags['swa-start'] !== undefined && !flags.swa) throw new UsageError('--swa-start needs --swa');
    // every path the run writes is checked before any training
    const out = flags.out === undefined ? undefined : prepareOutputDir('--out', flags.out);
    const report = flags.report === undefined ? undefined : prepareOutputFile('--report', flags.report);
    const modelFile = flags['save-model'] === undefined ? undefined : prepareOutputFile('--save-model', flags['save-model']);
    const release = out === undefined ? () => {} : claimDirectory(out);
    try {
      const problem = storageProblem({ checkpointDir: out, resume: flags.resume });
      if (problem !== undefined) throw new UsageError(problem);
      const log = (s: string): void => { if (!flags.quiet) process.stderr.write(`${s}\n`); };
      const stop = stopOnSignals((name) => log(`${name}: stopping at the next step${out ? `, checkpoint in ${out}` : ''}; send it again to stop at once`));
      const started = performance.now();
      if (!flags.quiet) process.stdout.write(`training ${flags.model} on ${flags.dataset} with ${flags.optimizer} (lr ${flags.lr}, ${flags.schedule}), kernels: ${activeKernels().name}\n`);
      const bar = progress({ epochs: flags.epochs, quiet: flags.quiet });
      // the process's resident set after each epoch: flat once the first epoch has warmed up
      const rss: number[] = [];
      const hooks = { onStep: bar.onStep, onEpoch: (...a: Parameters<typeof bar.onEpoch>) => { bar.onEpoch(...a); rss.push(readMemory().rssMB); } };
      const storage = { checkpointDir: out, resume: flags.resume, keepBest: flags['keep-best'], signal: stop.signal, onNote: log, swaDir: out === undefined ? undefined : join(out, 'swa') };
      const job = await runJob(configOf(flags), key(flags.seed), storage, hooks).finally(() => bar.stop());
      if (job.interrupted) {
        log(`stopped at step ${job.trainState.step}${job.checkpoint ? `; saved ${job.checkpoint}: continue with --resume` : ' (no --out: nothing saved)'}`);
        process.exitCode = stop.exitCode();
        return;
      }
      stop.dispose();
      if (report !== undefined) await writeJobReport(report, [{ name: flags.model, job }]);
      if (modelFile !== undefined) {
        const { table } = job.data.train;
        saveModel(modelFile, {
          net: job.model.net, variables: { params: job.trainState.params, state: job.trainState.state }, inputShape: job.data.inputShape,
          classNames: job.data.classNames, preprocessing: { scale: table[1] - table[0], offset: table[0] },
          metadata: { model: flags.model, dataset: flags.dataset, testAccuracy: job.history.epochs.at(-1)?.testAccuracy ?? null },
        });
      }
      const summary = summaryOf(flags, job, started, rss);
      const swaText = summary.swaTestAccuracy === undefined ? '' : `, SWA of ${summary.swaAveraged}: ${(100 * summary.swaTestAccuracy).toFixed(2)}%`;
      process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `test accuracy ${(100 * (summary.testAccuracy ?? 0)).toFixed(2)}%${summary.ttaTestAccuracy === undefined ? '' : `, ${(100 * summary.ttaTestAccuracy).toFixed(2)}% with ${flags.tta}-view test-time augmentation`}${swaText}\n`);
    } finally {
      release();
    }
  },
};
