/**
 * A training report as one self-contained HTML file: loss and accuracy curves per member and
 * for the ensemble, first-layer filters, a confusion matrix and misclassified test images.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Tensor } from '../tensor.ts';
import { accuracyChart, confusionChart, epochLossChart, hasValidation, lossChart, type NamedHistory } from './charts.ts';
import { confusionMatrix } from './confusion.ts';
import { page, type Section } from './html.ts';
import { exampleTile, filterTiles, imageGrid } from './images.ts';

export type { NamedHistory } from './charts.ts';

/** Test-set predictions to show as a confusion matrix and misclassified examples. */
export interface Evaluation {
  /** Test inputs, (N, C, H, W) or flat (N, D) with `imageShape`; pixels in [0, 1]. */
  readonly images: Tensor;
  readonly labels: ArrayLike<number>;
  readonly predicted: ArrayLike<number>;
  readonly classes: number;
  /** (C, H, W) of one image (needed when `images` is flat): 3 channels show in colour, others by their first. */
  readonly imageShape?: readonly number[];
  /** At most this many misclassified examples are shown (default 40). */
  readonly maxMisclassified?: number;
  /** Whose predictions these are (e.g. "ensemble of 5"). */
  readonly source?: string;
}

/** What a report shows; every part but the title is optional. */
export interface ReportData {
  readonly title: string;
  /** Shown as a table at the top (model, flags, dataset, ...). */
  readonly metadata?: Readonly<Record<string, string | number | boolean | null>>;
  /** One history per trained member. */
  readonly members?: readonly NamedHistory[];
  /** The ensemble's per-epoch record (its loss may be empty). */
  readonly ensemble?: NamedHistory;
  /** First-layer conv weights (out, in, kh, kw). */
  readonly filters?: Tensor;
  readonly evaluation?: Evaluation;
  /** Display names of the classes (default "0", "1", ...). */
  readonly classNames?: readonly string[];
}

const noHistory = 'No training history to plot.';

/** The report as an HTML string (charts render asynchronously). */
export const renderReport = async (data: ReportData): Promise<string> => {
  const runs = [...(data.members ?? []), ...(data.ensemble ? [data.ensemble] : [])];
  const sections: Section[] = [];
  const loss = await lossChart(runs);
  sections.push({ title: 'Training loss', body: loss ? { svg: loss } : { note: noHistory } });
  const accuracy = await accuracyChart(runs);
  const validated = hasValidation(runs);
  sections.push({
    title: 'Accuracy', body: accuracy ? { svg: accuracy } : { note: noHistory },
    caption: accuracy ? (validated ? 'line style by split: train, test, validation (the held-out training examples)' : 'solid: train, dashed: test') : undefined,
  });
  const epochLoss = validated ? await epochLossChart(runs) : undefined;
  if (epochLoss !== undefined) {
    sections.push({ title: 'Validation loss', body: { svg: epochLoss }, caption: 'per epoch: the mean training loss and the loss on the validation set' });
  }
  if (data.filters) {
    const [out, inC] = data.filters.shape;
    sections.push({
      title: 'First-layer filters', body: { svg: imageGrid(filterTiles(data.filters), { columns: 10, zoom: 8 }) },
      caption: `${out} filters${inC > 1 ? ' (first input channel)' : ''}, each scaled to its own range: white is most positive.`,
    });
  }
  const ev = data.evaluation;
  if (ev) {
    const names = data.classNames ?? Array.from({ length: ev.classes }, (_, i) => String(i));
    if (names.length !== ev.classes) throw new Error(`writeReport: ${names.length} class names for ${ev.classes} classes`);
    const matrix = confusionMatrix(ev.predicted, ev.labels, ev.classes);
    const of = ev.source ? ` (${ev.source})` : '';
    sections.push({ title: `Confusion matrix${of}`, body: { svg: await confusionChart(matrix, names) }, caption: `rows: true class, columns: predicted; ${ev.labels.length} test examples.` });
    const wrong: number[] = [];
    for (let i = 0; i < ev.labels.length; i++) if (ev.predicted[i] !== ev.labels[i]) wrong.push(i);
    const shown = wrong.slice(0, ev.maxMisclassified ?? 40);
    const image = ev.imageShape ?? ev.images.shape.slice(1);
    sections.push({
      title: `Misclassified test images${of}`,
      body: shown.length === 0 ? { note: 'No misclassified examples.' }
        : { svg: imageGrid(shown.map((i) => exampleTile(ev.images, i, image, `#${i}: ${names[ev.labels[i]]} → ${names[ev.predicted[i]]}`)), { columns: 8, zoom: 2 }) },
      caption: shown.length === 0 ? undefined : `first ${shown.length} of ${wrong.length} errors; caption: true → predicted.`,
    });
  }
  const metadata = Object.fromEntries(Object.entries(data.metadata ?? {}).map(([k, v]) => [k, String(v)]));
  return page(data.title, metadata, sections);
};

/** Writes the report to `file` (its directory is created) as one self-contained HTML page. */
export const writeReport = async (file: string, data: ReportData): Promise<void> => {
  const html = await renderReport(data);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, html);
};
