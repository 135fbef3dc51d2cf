/** `tenfold/ensemble`: members trained on worker threads from a plan, averaged and voted; saved ensembles evaluated. */
export * from '../ensemble/train-ensemble.ts';
export * from '../ensemble/plan.ts';
export * from '../ensemble/presets.ts';
export * from '../ensemble/combine.ts';
export * from '../ensemble/summary.ts';
export * from '../ensemble/evaluate-saved.ts';
export { ENSEMBLE_FILE, readEnsembleManifest, readEnsembleManifestE, type EnsembleManifest, type EnsembleMember } from '../ensemble/manifest.ts';
export type { MemberEvent, MemberOutcome, MemberStopped } from '../ensemble/member-task.ts';
export { writeEnsembleReport, type EnsembleReportInput } from '../ensemble/report.ts';
