/** An HTML report of finished jobs (and optionally their ensemble) with test-set predictions. */
import { argmax } from '../ops/reduce.ts';
import { isTensor, leaves, type TreeRecord } from '../tree.ts';
import type { Tensor } from '../tensor.ts';
import { toFloatDataset } from '../data/dataset.ts';
import { writeReport, type NamedHistory } from '../report/report.ts';
import type { History } from '../train/fit.ts';
import { predictProbabilities } from '../train/model.ts';
import type { JobResult } from './job.ts';

/** A finished member to show. */
export interface ReportedJob {
  readonly name: string;
  readonly job: JobResult;
}

/** First 4-D weight of a parameter tree in path order: the first convolution's filters. */
const firstFilters = (params: TreeRecord): Tensor | undefined =>
  leaves(params).map(([, t]) => t).find((t) => isTensor(t) && t.shape.length === 4);

/** Writes the report; predictions are the ensemble's when given, else the first member's. */
export const writeJobReport = async (
  file: string, jobs: readonly ReportedJob[],
  ensemble?: { readonly name: string; readonly history: History; readonly predicted: Int32Array },
  metadata?: Readonly<Record<string, string | number | boolean | null>>,
): Promise<void> => {
  const first = jobs[0].job;
  const data = first.data;
  const predicted = ensemble?.predicted
    ?? argmax(predictProbabilities(first.model.net, first.trainState, data.test), 1);
  const members: NamedHistory[] = jobs.map((j) => ({ name: j.name, history: j.job.history }));
  await writeReport(file, {
    title: `tenfold: ${jobs.length > 1 ? `ensemble of ${jobs.length}` : jobs[0].name} on ${data.name}`,
    metadata,
    members,
    ensemble: ensemble ? { name: ensemble.name, history: ensemble.history } : undefined,
    filters: firstFilters(first.trainState.params),
    evaluation: {
      images: toFloatDataset(data.test).x, labels: data.test.labels, predicted, classes: data.classes,
      imageShape: data.imageShape,
      source: ensemble ? ensemble.name : jobs[0].name,
    },
    classNames: data.classNames,
  });
};
