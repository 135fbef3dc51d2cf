/**
 * Child process of the save-crash spec: trains FAULT_JOB into DIR and SIGKILLs itself when save
 * number N reaches POINT (one of SAVE_POINTS). Usage: crash-at-save.ts DIR POINT N
 */
import { key } from '../../lib/random.ts';
import { runJob } from '../../lib/jobs/job.ts';
import { setSavePointHookForTests, type SavePoint } from '../../lib/train/checkpoint.ts';
import { FAULT_JOB, FAULT_SEED } from './fault-job.ts';

const [dir, point, nth] = process.argv.slice(2);
let saves = 0;
setSavePointHookForTests((p: SavePoint) => {
  if (p === 'binary staged') saves++;
  if (p === point && saves === Number(nth)) process.kill(process.pid, 'SIGKILL');
});
await runJob(FAULT_JOB, key(FAULT_SEED), { checkpointDir: dir, resume: 'if-present' });
process.stdout.write('finished without a crash\n');
