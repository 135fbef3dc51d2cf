/** The ensemble's HTML report: member curves, the ensemble's accuracy, filters and test errors. */
import { join } from 'node:path';
import type { TrainTest } from '../data/datasets.ts';
import { toFloatDataset } from '../data/dataset.ts';
import { writeReport } from '../report/report.ts';
import { loadCheckpoint } from '../train/checkpoint.ts';
import { leaves } from '../tree.ts';
import type { EnsembleManifest, MemberSource } from './manifest.ts';
import type { MemberOutcome } from './member-task.ts';
import type { EnsembleSummary } from './summary.ts';

/** Inputs of the ensemble report. */
export interface EnsembleReportInput {
  readonly manifest: EnsembleManifest;
  readonly out: string;
  readonly outcomes: readonly MemberOutcome[];
  readonly summary: EnsembleSummary;
  readonly data: TrainTest;
}

const sourceName = (from: MemberSource): string =>
  `run ${from.run + 1} ${from.kind === 'snapshot' ? `cycle ${from.cycle}` : from.kind === 'swa' ? 'SWA' : 'final'}`;

/** Writes the report; filters come from member 1's checkpoint (its first 4-D weight). */
export const writeEnsembleReport = async (file: string, r: EnsembleReportInput): Promise<void> => {
  const first = loadCheckpoint(join(r.out, r.manifest.members[0].dir));
  const filters = leaves(first.params).map(([, t]) => t).find((t) => t.shape.length === 4);
  // a snapshot member's configuration is a shorter run's: the run's own epochs are the ensemble's
  const epochs = (r.manifest.runs?.[0] ?? r.manifest.members[0]).config.epochs;
  await writeReport(file, {
    title: `tenfold ensemble of ${r.manifest.members.length} on ${r.data.name}`,
    metadata: {
      members: r.manifest.members.length, models: [...new Set(r.manifest.members.map((m) => m.config.model))].join(', '),
      epochs, seed: r.manifest.seed, ensembleAccuracy: r.summary.ensembleAccuracy, voteAccuracy: r.summary.voteAccuracy,
      bestMemberAccuracy: r.summary.bestMemberAccuracy,
      ...(r.manifest.methods === undefined ? {} : { method: r.manifest.methods.join(','), runs: r.manifest.runs?.length ?? 0 }),
    },
    members: r.summary.members.map((m) => ({ name: `member ${m.index + 1}${m.from === undefined ? '' : ` (${sourceName(m.from)})`}`, history: m.history })),
    ensemble: {
      name: 'ensemble',
      history: { loss: [], epochs: [{ epoch: epochs, meanLoss: Number.NaN, trainAccuracy: Number.NaN, testAccuracy: r.summary.ensembleAccuracy, seconds: 0 }] },
    },
    filters,
    evaluation: {
      images: toFloatDataset(r.data.test).x, labels: r.data.test.labels, predicted: r.summary.predicted, classes: r.data.classes,
      imageShape: r.data.imageShape, source: `ensemble of ${r.manifest.members.length}`,
    },
    classNames: r.data.classNames,
  });
};
