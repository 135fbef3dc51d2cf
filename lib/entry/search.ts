/** `tenfold/search`: the book's random hyperparameter search: trials planned from a seed, trained on worker threads, scored on held-out examples. */
export * from '../search/sample.ts';
export * from '../search/plan.ts';
export * from '../search/run-search.ts';
export * from '../search/outcome.ts';
export { SEARCH_FILE, readSearchManifest, readSearchManifestE, type SearchManifest, type SearchTrial } from '../search/manifest.ts';
export { searchDifference } from '../search/directory.ts';
export { trialScatterSpec, trialPoints, validationCurveSpec, type TrialPoint } from '../search/charts.ts';
export { renderSearchReport, writeSearchReport, SCATTER_SPEC_ID, type SearchReportInput } from '../search/report.ts';
