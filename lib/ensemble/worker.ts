/** Piscina worker entry: runs one ensemble member per task (results are small: structured clone is fine). */
import { runMember, type MemberOutcome, type MemberTask } from './member-task.ts';

/** Trains one member and returns its outcome to the main thread. */
export default (task: MemberTask): MemberOutcome => runMember(task);
