/**
 * Charts as SVG via Vega-Lite compiled to Vega and rendered headless (renderer 'none':
 * no canvas or browser needed). Chosen because it is a well-kept grammar of graphics
 * whose server-side SVG output needs no native dependencies.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { History } from '../train/fit.ts';

/** Renders a Vega-Lite spec to an SVG string. */
export const renderVegaLite = async (spec: TopLevelSpec): Promise<string> => {
  // loaded on first use: the two libraries add about 50 MB to every process that imports them
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
};

/** A run's history under a display name. */
export interface NamedHistory {
  readonly name: string;
  readonly history: History;
}

/** Means over consecutive windows so a long run plots as at most `points` points: [step, loss][]. */
export const downsample = (values: readonly number[], points = 400): readonly (readonly [number, number])[] => {
  const width = Math.max(1, Math.ceil(values.length / points));
  const out: [number, number][] = [];
  for (let start = 0; start < values.length; start += width) {
    const chunk = values.slice(start, start + width);
    out.push([start + chunk.length, chunk.reduce((a, b) => a + b, 0) / chunk.length]);
  }
  return out;
};

const common = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 460, height: 280, background: 'white' } as const;

/** Training loss per step (window means) for each run; undefined when no run has any. */
export const lossChart = async (runs: readonly NamedHistory[]): Promise<string | undefined> => {
  const values = runs.flatMap((r) => downsample(r.history.loss).map(([step, loss]) => ({ run: r.name, step, loss })));
  if (values.length === 0) return undefined;
  return renderVegaLite({
    ...common, title: 'Training loss', data: { values }, mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'loss', type: 'quantitative', title: 'loss (window mean)', scale: { zero: false } },
      color: { field: 'run', type: 'nominal', title: 'run', sort: runs.map((r) => r.name) },
    },
  });
};

/** Whether any run measured a validation set (fit's `validation`, `--validation N`). */
export const hasValidation = (runs: readonly NamedHistory[]): boolean =>
  runs.some((r) => r.history.epochs.some((e) => e.validationAccuracy !== undefined || e.validationLoss !== undefined));

/** The Vega-Lite spec of `accuracyChart`: train, test and (when measured) validation accuracy per epoch; undefined when no run has an epoch. */
export const accuracyChartSpec = (runs: readonly NamedHistory[]): TopLevelSpec | undefined => {
  const values = runs.flatMap((r) => r.history.epochs.flatMap((e) => [
    { run: r.name, epoch: e.epoch, split: 'train', accuracy: e.trainAccuracy },
    ...(e.testAccuracy === null ? [] : [{ run: r.name, epoch: e.epoch, split: 'test', accuracy: e.testAccuracy }]),
    ...(e.validationAccuracy === undefined ? [] : [{ run: r.name, epoch: e.epoch, split: 'validation', accuracy: e.validationAccuracy }]),
  ]));
  if (values.length === 0) return undefined;
  // the split list names validation only when there is one, so a run without it charts as before
  const splits = hasValidation(runs) ? ['train', 'test', 'validation'] : ['train', 'test'];
  return {
    ...common, title: 'Accuracy', data: { values }, mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { zero: false }, axis: { format: '.1%' } },
      color: { field: 'run', type: 'nominal', title: 'run', sort: runs.map((r) => r.name) },
      strokeDash: { field: 'split', type: 'nominal', title: 'split', sort: splits },
      // points too tell train from test when a run has a single epoch (no line to dash)
      shape: { field: 'split', type: 'nominal', title: 'split', sort: splits },
    },
  };
};

/** Train, test and (when measured) validation accuracy per epoch for each run; undefined when no run has an epoch. */
export const accuracyChart = async (runs: readonly NamedHistory[]): Promise<string | undefined> => {
  const spec = accuracyChartSpec(runs);
  return spec === undefined ? undefined : renderVegaLite(spec);
};

/**
 * The Vega-Lite spec of `epochLossChart`: per epoch, the mean training loss and the validation
 * loss of every run that measured a validation set; undefined when none did.
 */
export const epochLossChartSpec = (runs: readonly NamedHistory[]): TopLevelSpec | undefined => {
  const measured = runs.filter((r) => hasValidation([r]));
  const values = measured.flatMap((r) => r.history.epochs.flatMap((e) => [
    ...(Number.isFinite(e.meanLoss) ? [{ run: r.name, epoch: e.epoch, split: 'train', loss: e.meanLoss }] : []),
    ...(e.validationLoss === undefined ? [] : [{ run: r.name, epoch: e.epoch, split: 'validation', loss: e.validationLoss }]),
  ]));
  if (values.length === 0) return undefined;
  return {
    ...common, title: 'Loss per epoch', data: { values }, mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false } },
      color: { field: 'run', type: 'nominal', title: 'run', sort: measured.map((r) => r.name) },
      strokeDash: { field: 'split', type: 'nominal', title: 'split', sort: ['train', 'validation'] },
      shape: { field: 'split', type: 'nominal', title: 'split', sort: ['train', 'validation'] },
    },
  };
};

/** Mean training loss and validation loss per epoch of the runs that measured a validation set; undefined when none did. */
export const epochLossChart = async (runs: readonly NamedHistory[]): Promise<string | undefined> => {
  const spec = epochLossChartSpec(runs);
  return spec === undefined ? undefined : renderVegaLite(spec);
};

/** A heat-coloured confusion matrix with counts (rows: true class, columns: predicted). */
export const confusionChart = async (matrix: readonly (readonly number[])[], names: readonly string[]): Promise<string> => {
  const values = matrix.flatMap((row, t) => row.map((count, p) => ({ truth: names[t], predicted: names[p], count })));
  const max = Math.max(1, ...values.map((v) => v.count));
  const axis = (field: string, title: string) => ({ field, type: 'ordinal', title, sort: [...names], axis: { labelAngle: 0 } }) as const;
  return renderVegaLite({
    $schema: common.$schema, background: 'white', title: 'Confusion matrix', width: 360, height: 360, data: { values },
    encoding: { x: axis('predicted', 'predicted'), y: axis('truth', 'true') },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'orangered', type: 'sqrt' }, title: 'count' } } },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  });
};
