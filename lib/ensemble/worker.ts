/** Piscina worker entry: runs one ensemble member per task (results are small: structured clone is fine). */
import { runMember, type MemberOutcome, type MemberStopped, type MemberTask } from './member-task.ts';

/** Trains one member and returns its outcome (or where it stopped) to the main thread. */
export default (task: MemberTask): Promise<MemberOutcome | MemberStopped> => runMember(task);
