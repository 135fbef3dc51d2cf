/** `tenfold/checkpoint`: crash-safe checkpoints, self-describing saved models, and jobs that train, resume and keep the best. */
export {
  checkpointOf, CheckpointError, checkpointFiles, findResumable, findResumableE, hasCheckpoint, LATEST, loadCheckpoint, loadCheckpointE,
  saveCheckpoint, trainStateOf, treeMismatches, type Checkpoint, type Expected, type LoadOptions, type Resumable, type SaveOptions,
} from '../train/checkpoint.ts';
export * from '../train/saved-model.ts';
export * from '../jobs/config.ts';
export * from '../jobs/job.ts';
export { loadCheckpointedModel } from '../jobs/restore.ts';
export { claimDirectory, LOCK_FILE } from '../jobs/lock.ts';
