/**
 * Search trials as a kind of queue job (`tenfold worker` takes them beside members): checked
 * against OUT/search.json, trained with `runTrial`, which never measures nor predicts the test set.
 */
import { join } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import * as E from 'fp-ts/lib/Either.js';
import { firstDifference } from '../ensemble/manifest.ts';
import { runTrial } from '../ensemble/member-task.ts';
import { decodedOnThisHost, type JobKind } from '../queue/job-kind.ts';
import { key } from '../random.ts';
import { readSearchManifestE, SEARCH_FILE } from './manifest.ts';
import { decodeTrialJob, type TrialJobData, type TrialJobResult } from './trial-job.ts';

const pct = (x: number | undefined): string => (x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);

/** The checks a worker makes before it trains a trial: the job decodes, and `out` holds this search (a shared file system). */
const checkedJob = (raw: unknown): TrialJobData => {
  const data = decodedOnThisHost(decodeTrialJob, raw, (d) => join(d.out, SEARCH_FILE));
  const file = join(data.out, SEARCH_FILE);
  const planned = readSearchManifestE(data.out);
  if (E.isLeft(planned)) throw new UnrecoverableError(planned.left.message);
  const { seed, trials } = planned.right;
  const index = data.trial.index;
  const difference = seed !== data.seed ? `seed is ${seed} there but ${data.seed} in the job`
    : trials[index] === undefined ? `it plans ${trials.length} trials, the job is trial ${index + 1}`
      : firstDifference(trials[index], data.trial);
  if (difference !== undefined) throw new UnrecoverableError(`${file} is not the search of this job (${difference})`);
  return data;
};

/** Trials: trained (or resumed) in OUT/trial-N from the seed's own key and scored on the held-out examples, as the local pool does. */
export const trialJobKind: JobKind = {
  name: 'trial',
  prepare: (raw) => {
    const data = checkedJob(raw);
    const { trial } = data;
    const dir = join(data.out, trial.dir);
    return {
      dir, label: `trial ${trial.index + 1}/${data.search}`, epochs: trial.config.epochs,
      train: async (port, trainedOn) => {
        const r = await runTrial({ index: trial.index, seed: data.seed, config: trial.config, checkpointDir: dir, tta: 1, port, runKey: key(data.seed), trial: true });
        if ('interrupted' in r) return r;
        if ('diverged' in r) {
          const result: TrialJobResult = { index: r.index, seconds: r.seconds, resumed: false, diverged: r.diverged, trainedOn };
          return { result, line: `diverged (${r.diverged})` };
        }
        const result: TrialJobResult = { index: r.index, seconds: r.seconds, resumed: r.resumed, trainedOn };
        const last = r.history.epochs.at(-1);
        return { result, line: `validation accuracy ${pct(last?.validationAccuracy)} in ${r.seconds.toFixed(1)} s${r.resumed ? ' (resumed)' : ''}` };
      },
    };
  },
};
