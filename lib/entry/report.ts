/** `tenfold/report`: the HTML report (curves, confusion matrix, image grids), progress lines and memory readings. */
export * from '../report/report.ts';
export * from '../report/progress.ts';
export * from '../report/memory.ts';
export { writeJobReport, type ReportedJob } from '../jobs/job-report.ts';
