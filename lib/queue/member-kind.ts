/** Ensemble members as a kind of queue job: checked against OUT/ensemble.json, trained with `runMember` (test set included). */
import { join } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { ENSEMBLE_FILE, firstDifference, readEnsembleManifest } from '../ensemble/manifest.ts';
import { runMember } from '../ensemble/member-task.ts';
import { decodedOnThisHost, type JobKind } from './job-kind.ts';
import { decodeMemberJob, type MemberJobData, type MemberJobResult } from './member-job.ts';

/** The checks a worker makes before it trains a member: the job decodes, and `out` holds this ensemble (a shared file system). */
const checkedJob = (raw: unknown): MemberJobData => {
  const data = decodedOnThisHost(decodeMemberJob, raw, (d) => join(d.out, ENSEMBLE_FILE));
  const file = join(data.out, ENSEMBLE_FILE);
  const planned = readEnsembleManifest(data.out);
  const difference = planned.seed !== data.seed ? `seed is ${planned.seed} there but ${data.seed} in the job`
    : firstDifference(planned.members[data.member.index], data.member);
  if (difference !== undefined) throw new UnrecoverableError(`${file} is not the ensemble of this job (${difference})`);
  return data;
};

/** Members: trained (or resumed) in OUT/member-N, then their test set predicted, as the local pool's threads do. */
export const memberJobKind: JobKind = {
  name: 'member',
  prepare: (raw) => {
    const data = checkedJob(raw);
    const { member } = data;
    const dir = join(data.out, member.dir);
    return {
      dir, label: `member ${member.index + 1}/${data.ensemble}`, epochs: member.config.epochs,
      train: async (port, trainedOn) => {
        const r = await runMember({ index: member.index, seed: data.seed, config: member.config, checkpointDir: dir, tta: data.tta, port });
        if ('interrupted' in r) return r;
        const result: MemberJobResult = { index: r.index, testAccuracy: r.testAccuracy, seconds: r.seconds, resumed: r.resumed, trainedOn };
        return { result, line: `test accuracy ${r.testAccuracy} in ${r.seconds.toFixed(1)} s${r.resumed ? ' (resumed)' : ''}` };
      },
    };
  },
};
