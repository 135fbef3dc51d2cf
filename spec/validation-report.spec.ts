/** Validation curves in the report: the chart specs hold a run's validation accuracy and loss, epoch by epoch. */
import { expect } from 'chai';
import './helpers/quadrants-dataset.ts';
import { runJob, type JobConfig } from '../lib/jobs/job.ts';
import { key } from '../lib/random.ts';
import { accuracyChartSpec, epochLossChartSpec } from '../lib/report/charts.ts';
import { renderReport } from '../lib/report/report.ts';
import type { History } from '../lib/train/fit.ts';

interface Row { readonly run: string; readonly epoch: number; readonly split: string; readonly accuracy?: number; readonly loss?: number }
const rowsOf = (spec: unknown): readonly Row[] => (spec as { readonly data: { readonly values: readonly Row[] } }).data.values;

describe('validation curves in the report', function () {
  this.timeout(60_000);
  const config: JobConfig = {
    model: 'mlp', hidden: [16], optimizer: 'adam', lr: 0.01, schedule: 'constant', batchSize: 40, epochs: 3,
    weightDecay: 0, dataset: 'quadrants', augment: ['none'], validation: 80,
  };
  let history: History;
  before(async () => { history = (await runJob(config, key(2))).history; });

  it('the accuracy chart holds the run\'s validation accuracy per epoch beside train and test', () => {
    const rows = rowsOf(accuracyChartSpec([{ name: 'member 1', history }]));
    const validation = rows.filter((r) => r.split === 'validation');
    expect(validation.map((r) => [r.run, r.epoch, r.accuracy])).to.deep.equal(history.epochs.map((e) => ['member 1', e.epoch, e.validationAccuracy]));
    expect(validation.every((r) => typeof r.accuracy === 'number')).to.equal(true);
    expect(rows.filter((r) => r.split === 'test')).to.have.length(3);
    expect(rows.filter((r) => r.split === 'train')).to.have.length(3);
  });

  it('the loss chart holds the validation loss and the mean training loss per epoch, members as colours', () => {
    const shifted: History = { ...history, epochs: history.epochs.map((e) => ({ ...e, validationLoss: (e.validationLoss ?? 0) + 1 })) };
    const spec = epochLossChartSpec([{ name: 'a', history }, { name: 'b', history: shifted }]);
    const rows = rowsOf(spec);
    expect(rows.filter((r) => r.split === 'validation').map((r) => [r.run, r.epoch, r.loss])).to.deep.equal([
      ...history.epochs.map((e) => ['a', e.epoch, e.validationLoss]), ...shifted.epochs.map((e) => ['b', e.epoch, e.validationLoss]),
    ]);
    expect(rows.filter((r) => r.split === 'train' && r.run === 'a').map((r) => r.loss)).to.deep.equal(history.epochs.map((e) => e.meanLoss));
    expect((spec as { readonly encoding: { readonly color: { readonly field: string } } }).encoding.color.field).to.equal('run');
  });

  it('a run without --validation charts as before: no validation series, no loss-per-epoch chart', async () => {
    const plain: History = { ...history, epochs: history.epochs.map(({ validationAccuracy: _a, validationLoss: _l, ...e }) => e) };
    expect(rowsOf(accuracyChartSpec([{ name: 'm', history: plain }])).some((r) => r.split === 'validation')).to.equal(false);
    expect(epochLossChartSpec([{ name: 'm', history: plain }])).to.equal(undefined);
    const [withV, without] = await Promise.all([renderReport({ title: 'v', members: [{ name: 'm', history }] }), renderReport({ title: 'p', members: [{ name: 'm', history: plain }] })]);
    expect(withV).to.match(/Validation loss/);
    expect(without).to.not.match(/Validation loss/);
  });
});
