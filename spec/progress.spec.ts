import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { formatDuration, progress } from '../lib/report/progress.ts';
import type { History, TrainState } from '../lib/train/fit.ts';

const collector = (isTTY = false) => {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (s: string) => { chunks.push(s); return true; } } };
};

// a fake clock that advances 100 ms per step
const run = (p: ReturnType<typeof progress>, clock: { t: number }, epochs: number, steps: number): void => {
  const state = {} as TrainState;
  let history: History = { loss: [], epochs: [] };
  for (let e = 0; e < epochs; e++) {
    for (let i = 1; i <= steps; i++) {
      clock.t += 100;
      p.onStep({ epoch: e, stepInEpoch: i, stepsPerEpoch: steps, loss: 1 / i, examples: 50 });
    }
    history = {
      loss: [...history.loss],
      epochs: [...history.epochs, { epoch: e + 1, meanLoss: 0.25, trainAccuracy: 0.9, testAccuracy: e === 0 ? null : 0.875, seconds: steps / 10 }],
    };
    clock.t += 5000; // evaluation time, not counted
    p.onEpoch(state, history);
  }
};

describe('report/progress', () => {
  it('writes plain lines every tenth of an epoch and a summary per epoch when not a terminal', () => {
    const { chunks, stream } = collector();
    const clock = { t: 0 };
    const rss = [251.4, 253.6];
    run(progress({ stream, epochs: 2, now: () => clock.t, rssMB: () => rss.shift() ?? 0 }), clock, 2, 20);
    const lines = chunks.join('').split('\n').filter((l) => l !== '');
    expect(lines).to.have.length(2 * (9 + 1));
    expect(lines[0]).to.equal('epoch 1/2  step 2/20 (10%)  loss 0.7500  500 img/s  ETA 0:02');
    expect(lines[8]).to.equal('epoch 1/2  step 18/20 (90%)  loss 0.1942  500 img/s  ETA 0:00');
    expect(lines[9]).to.equal('epoch 1/2  loss 0.2500  train 90.00%  test –  2.0 s  500 img/s  rss 251 MB');
    expect(lines[10]).to.match(/^epoch 2\/2  step 2\/20 \(10%\)  loss 0\.7500  500 img\/s  ETA 0:02$/);
    expect(lines[19]).to.equal('epoch 2/2  loss 0.2500  train 90.00%  test 87.50%  2.0 s  500 img/s  rss 254 MB');
  });

  it('handles epochs shorter than ten steps, a label and a custom interval', () => {
    const { chunks, stream } = collector();
    const clock = { t: 0 };
    run(progress({ stream, label: 'member 2/5', every: 0.5, now: () => clock.t, rssMB: () => 1000 }), clock, 1, 3);
    expect(chunks.join('').split('\n').filter((l) => l !== '')).to.deep.equal([
      'member 2/5  epoch 1  step 2/3 (66%)  loss 0.7500  500 img/s  ETA 0:00',
      'member 2/5  epoch 1  loss 0.2500  train 90.00%  test –  0.3 s  500 img/s  rss 1000 MB',
    ]);
  });

  it('writes nothing when quiet', () => {
    const { chunks, stream } = collector(true);
    const clock = { t: 0 };
    run(progress({ stream, quiet: true, now: () => clock.t }), clock, 2, 5);
    expect(chunks).to.deep.equal([]);
  });

  it('draws a bar on a terminal and still prints the epoch summary', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => { text += d.toString(); });
    const stream = Object.assign(out, { isTTY: true, columns: 120 });
    const clock = { t: 0 };
    run(progress({ stream, epochs: 1, now: () => clock.t }), clock, 1, 4);
    expect(text).to.contain('epoch 1/1  loss 0.2500  train 90.00%');
    expect(text).to.match(/img\/s  rss \d+ MB/); // read from this process
    expect(text).to.match(/\d\/4 \| loss /);
  });

  it('formats durations', () => {
    expect([formatDuration(0), formatDuration(65), formatDuration(3723), formatDuration(NaN)]).to.deep.equal(['0:00', '1:05', '1:02:03', '?']);
  });
});
