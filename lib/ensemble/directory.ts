/** An ensemble directory: ensemble.json written once, then only resumed with the same plan. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { JobSetupError } from '../jobs/job.ts';
import { checkpointFiles } from '../train/checkpoint.ts';
import { ENSEMBLE_FILE, firstDifference, readEnsembleManifest, writeEnsembleManifest, type EnsembleManifest } from './manifest.ts';

/**
 * Makes `out` (an existing directory) hold `manifest`: writes ensemble.json when there is none, or
 * checks that the one there is the same plan. Refuses (naming the field that differs) a different
 * plan, and a directory without ensemble.json whose member directories hold checkpoints.
 */
export const openEnsembleDirectory = (out: string, manifest: EnsembleManifest): void => {
  if (existsSync(join(out, ENSEMBLE_FILE))) {
    const difference = firstDifference(readEnsembleManifest(out), manifest);
    if (difference !== undefined) {
      throw new JobSetupError(`--out ${out}: ${ENSEMBLE_FILE} describes a different ensemble (${difference}); use the same flags to resume it, or another --out`);
    }
    return;
  }
  const stray = manifest.members.find((m) => checkpointFiles(join(out, m.dir)).length > 0);
  if (stray !== undefined) {
    throw new JobSetupError(`--out ${out} has no ${ENSEMBLE_FILE} but ${stray.dir} holds checkpoints: not an ensemble this command wrote; choose another --out`);
  }
  writeEnsembleManifest(out, manifest);
};
