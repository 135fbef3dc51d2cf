/** The search's HTML report: the trials as a scatter plot and a table, the validation curves, and the best configuration. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { lossChart, renderVegaLite } from '../report/charts.ts';
import { escapeHtml, page, type Section } from '../report/html.ts';
import { trialScatterSpec, validationCurveSpec } from './charts.ts';
import type { SearchManifest } from './manifest.ts';
import { rankTrials, type TrialResult } from './outcome.ts';
import { formatSample } from './sample.ts';

/** Inputs of the search report. */
export interface SearchReportInput {
  readonly manifest: SearchManifest;
  readonly trials: readonly TrialResult[];
  readonly best: TrialResult | undefined;
  /** The command that trains the best configuration, as printed. */
  readonly bestCommand?: string;
}

/** The id of the script element that carries the scatter plot's Vega-Lite spec (JSON), for reading it back or opening it in the Vega editor. */
export const SCATTER_SPEC_ID = 'trial-scatter-spec';

/** JSON inside a script element: `<` escaped, so no value can close the element. */
const scriptJson = (id: string, value: unknown): string =>
  `<script type="application/json" id="${id}">${JSON.stringify(value).replace(/</g, '\\u003c')}</script>`;

const pct = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(2)}%`);

/** The trials as an HTML table, best first. */
export const trialTable = (trials: readonly TrialResult[], best: TrialResult | undefined): string => {
  const head = ['rank', 'trial', 'learning rate', 'weight decay', 'validation accuracy', 'validation loss', 'epochs', 'seconds'];
  const rows = rankTrials(trials).map((t, rank) => [
    String(rank + 1), String(t.index + 1), formatSample(t.lr), formatSample(t.weightDecay), t.diverged === undefined ? pct(t.validationAccuracy) : 'diverged',
    t.validationLoss === null ? '–' : t.validationLoss.toFixed(4), t.diverged === undefined ? String(t.epochs) : '–', t.seconds.toFixed(1),
  ].map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')).map((cells, i) => `<tr${i === 0 && best !== undefined ? ' class="best"' : ''}>${cells}</tr>`);
  return [
    '<style>table.trials { border-collapse: collapse; } table.trials td, table.trials th { padding: 0.1em 0.8em; text-align: right; }',
    'table.trials tr.best { font-weight: bold; background: #fdecea; } table.trials th { border-bottom: 1px solid #ccc; }</style>',
    `<table class="trials"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`,
  ].join('\n');
};

/** The report as an HTML string. */
export const renderSearchReport = async (r: SearchReportInput): Promise<string> => {
  const { manifest, trials, best } = r;
  const first = manifest.trials[0].config;
  const scatter = trialScatterSpec(trials, manifest.space, best);
  // trusted markup: SVG we rendered and a table whose every cell is escaped
  const sections: Section[] = [
    {
      title: 'Trials', body: { svg: `${await renderVegaLite(scatter)}\n${scriptJson(SCATTER_SPEC_ID, scatter)}` },
      caption: `each point a trial, coloured by its accuracy on the ${first.validation ?? 0} held-out training examples; ringed: the best; crosses: diverged.`,
    },
    { title: 'Trials, best first', body: { svg: trialTable(trials, best) }, caption: 'validation figures are the last epoch\'s; seconds: training time over the trial\'s epochs.' },
  ];
  const curves = validationCurveSpec(trials, best);
  sections.push({ title: 'Validation accuracy', body: curves === undefined ? { note: 'No epoch to plot.' } : { svg: await renderVegaLite(curves) }, caption: 'thick: the best trial.' });
  if (best !== undefined) {
    const loss = await lossChart([{ name: `trial ${best.index + 1}`, history: best.history }]);
    sections.push({ title: `Training loss of the best trial (${best.index + 1})`, body: loss === undefined ? { note: 'No steps to plot.' } : { svg: loss } });
  }
  const metadata: Record<string, string> = {
    model: first.model, dataset: first.dataset, trials: String(manifest.trials.length), epochs: String(first.epochs),
    'held-out examples': String(first.validation ?? 0), 'learning rate': `${manifest.space.lr.low} to ${manifest.space.lr.high}, log-uniform`,
    'weight decay': `${manifest.space.weightDecay.low} to ${manifest.space.weightDecay.high}, log-uniform`, seed: String(manifest.seed),
    best: best === undefined ? 'none (every trial diverged)' : `trial ${best.index + 1}: ${pct(best.validationAccuracy)} (lr ${formatSample(best.lr)}, weight decay ${formatSample(best.weightDecay)})`,
    ...(r.bestCommand === undefined ? {} : { 'best configuration': r.bestCommand }),
  };
  return page(`tenfold search: ${manifest.trials.length} trials of ${first.model} on ${first.dataset}`, metadata, sections);
};

/** Writes the report to `file` (its directory is created). */
export const writeSearchReport = async (file: string, r: SearchReportInput): Promise<void> => {
  const html = await renderSearchReport(r);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, html);
};
