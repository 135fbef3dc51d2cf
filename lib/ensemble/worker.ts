/** Piscina worker entry: runs one ensemble member (or search trial) per task (results are small: structured clone is fine). */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runMember, runProducts, runTrial, type MemberOutcome, type MemberStopped, type MemberTask, type RunOutcome, type TrialDiverged, type TrialTrained } from './member-task.ts';

/**
 * Imports a module the task names. Under a TypeScript loader (tsx) a worker thread may have only
 * its require hook, so a `.ts` module that import() refuses is required instead.
 */
const importModule = async (url: string): Promise<unknown> => {
  try {
    return await import(url);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    return createRequire(import.meta.url)(fileURLToPath(url));
  }
};

/** Trains one member (or trial) and returns its outcome (or where it stopped) to the main thread. */
export default async (task: MemberTask): Promise<MemberOutcome | RunOutcome | TrialTrained | TrialDiverged | MemberStopped> => {
  // a dataset registered from code lives in the thread that registered it: its module registers it here too
  for (const m of task.modules ?? []) await importModule(m);
  return task.trial === true ? runTrial(task) : task.products !== undefined ? runProducts(task) : runMember(task);
};
