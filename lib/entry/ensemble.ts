/** `tenfold/ensemble`: members trained on worker threads from a plan (independent runs, snapshots, SWA), averaged and voted; saved ensembles evaluated. */
export * from '../ensemble/train-ensemble.ts';
export * from '../ensemble/plan.ts';
export * from '../ensemble/presets.ts';
export * from '../ensemble/combine.ts';
export * from '../ensemble/summary.ts';
export * from '../ensemble/evaluate-saved.ts';
export {
  ENSEMBLE_FILE, readEnsembleManifest, readEnsembleManifestE, type EnsembleManifest, type EnsembleMember, type EnsembleMethod, type EnsembleRunPlan, type MemberSource,
} from '../ensemble/manifest.ts';
export type { MemberEvent, MemberOutcome, MemberStopped } from '../ensemble/member-task.ts';
export { isSwaOptState, recomputeBatchNormStats, swaAverage, swaAveragesAt, withSwa, type SwaOptions, type SwaOptState, type SwaState } from '../train/swa.ts';
export { defaultSwaStart, snapshotConfig, type SwaModel } from '../jobs/job.ts';
export { writeEnsembleReport, type EnsembleReportInput } from '../ensemble/report.ts';
