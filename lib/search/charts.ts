/** The search report's Vega-Lite specs: the trials as points (learning rate against weight decay), and the validation curves. */
import type { TopLevelSpec } from 'vega-lite';
import type { TrialResult } from './outcome.ts';
import type { SearchSpace } from './sample.ts';

const common = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white' } as const;

/** One point of the scatter plot. */
export interface TrialPoint {
  readonly trial: number;
  readonly lr: number;
  readonly weightDecay: number;
  /** null for a trial that diverged (drawn as a grey cross). */
  readonly validationAccuracy: number | null;
  readonly best: boolean;
}

/** The points the scatter plot draws, one per trial (trial numbers from 1). */
export const trialPoints = (trials: readonly TrialResult[], best: TrialResult | undefined): readonly TrialPoint[] =>
  trials.map((t) => ({ trial: t.index + 1, lr: t.lr, weightDecay: t.weightDecay, validationAccuracy: t.validationAccuracy, best: t.index === best?.index }));

/**
 * Learning rate (x) against weight decay (y), both on log scales spanning the searched ranges,
 * each trial coloured by its validation accuracy; the best is ringed, diverged trials are crosses.
 */
export const trialScatterSpec = (trials: readonly TrialResult[], space: SearchSpace, best: TrialResult | undefined): TopLevelSpec => ({
  ...common, width: 460, height: 340, title: 'Trials: learning rate against weight decay',
  data: { values: trialPoints(trials, best).map((p) => ({ ...p })) },
  encoding: {
    x: { field: 'lr', type: 'quantitative', title: 'learning rate', scale: { type: 'log', domain: [space.lr.low, space.lr.high] }, axis: { format: '~e', gridOpacity: 0.5 } },
    y: { field: 'weightDecay', type: 'quantitative', title: 'weight decay', scale: { type: 'log', domain: [space.weightDecay.low, space.weightDecay.high] }, axis: { format: '~e', gridOpacity: 0.5 } },
    tooltip: [
      { field: 'trial', type: 'quantitative' }, { field: 'lr', type: 'quantitative', title: 'learning rate' },
      { field: 'weightDecay', type: 'quantitative', title: 'weight decay' },
      { field: 'validationAccuracy', type: 'quantitative', title: 'validation accuracy', format: '.2%' },
    ],
  },
  layer: [
    {
      transform: [{ filter: 'datum.validationAccuracy !== null' }],
      mark: { type: 'point', filled: true, size: 90, opacity: 0.9 },
      encoding: { color: { field: 'validationAccuracy', type: 'quantitative', title: 'validation accuracy', scale: { scheme: 'viridis' }, legend: { format: '.1%' } } },
    },
    { transform: [{ filter: 'datum.validationAccuracy === null' }], mark: { type: 'point', shape: 'cross', filled: true, size: 90, color: '#999' } },
    { transform: [{ filter: 'datum.best' }], mark: { type: 'point', size: 400, strokeWidth: 2, color: '#d62728' } },
  ],
});

/** Validation accuracy per epoch of every trial that has epochs, the best one drawn thick; undefined when none has. */
export const validationCurveSpec = (trials: readonly TrialResult[], best: TrialResult | undefined): TopLevelSpec | undefined => {
  const values = trials.flatMap((t) => t.history.epochs.flatMap((e) => (e.validationAccuracy === undefined ? []
    : [{ trial: `trial ${t.index + 1}`, epoch: e.epoch, validationAccuracy: e.validationAccuracy, best: t.index === best?.index }])));
  if (values.length === 0) return undefined;
  return {
    ...common, width: 460, height: 280, title: 'Validation accuracy per epoch', data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'validationAccuracy', type: 'quantitative', title: 'validation accuracy', scale: { zero: false }, axis: { format: '.1%' } },
      detail: { field: 'trial', type: 'nominal' },
      color: { condition: { test: 'datum.best', value: '#d62728' }, value: '#9aa5b1' },
      strokeWidth: { condition: { test: 'datum.best', value: 3 }, value: 1 },
      opacity: { condition: { test: 'datum.best', value: 1 }, value: 0.6 },
    },
  };
};
