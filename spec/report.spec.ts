import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confusionMatrix } from '../lib/report/confusion.ts';
import { downsample } from '../lib/report/charts.ts';
import { escapeHtml } from '../lib/report/html.ts';
import { decode } from 'fast-png';
import { exampleTile, filterTiles, pngDataUri } from '../lib/report/images.ts';
import { renderReport, writeReport, type ReportData } from '../lib/report/report.ts';
import { key, normal, uniform } from '../lib/random.ts';
import type { History } from '../lib/train/fit.ts';

const history = (offset: number): History => ({
  loss: Array.from({ length: 30 }, (_, i) => 2 / (i + 1) + offset),
  epochs: [1, 2, 3].map((epoch) => ({ epoch, meanLoss: 1 / epoch, trainAccuracy: 0.8 + epoch / 20 - offset, testAccuracy: 0.78 + epoch / 20 - offset, seconds: 1 })),
});
const count = (html: string, re: RegExp): number => (html.match(re) ?? []).length;

describe('report', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tenfold-report-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const full: ReportData = {
    title: 'Ensemble <b>report</b> & "more"',
    metadata: { model: 'convnet', dataset: 'mnist', lr: 0.01, note: '<script>alert(1)</script>' },
    members: [{ name: 'member <1>', history: history(0) }, { name: 'member 2', history: history(0.01) }],
    ensemble: { name: 'ensemble', history: { loss: [], epochs: [{ epoch: 3, meanLoss: 0, trainAccuracy: 0.97, testAccuracy: 0.96, seconds: 0 }] } },
    filters: normal(key(1), [30, 1, 5, 5]),
    evaluation: {
      images: uniform(key(2), [50, 784]), imageShape: [1, 28, 28], classes: 10,
      labels: Int32Array.from({ length: 50 }, (_, i) => i % 10),
      predicted: Int32Array.from({ length: 50 }, (_, i) => (i % 7 === 0 ? (i + 1) % 10 : i % 10)),
      source: 'ensemble of 2',
    },
  };

  it('writes one self-contained HTML file with every plot', async () => {
    const file = join(dir, 'sub', 'report.html');
    await writeReport(file, full);
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).to.equal(true);
    expect(count(html, /<svg[\s>]/g)).to.equal(5);
    for (const title of ['Training loss', 'Accuracy', 'First-layer filters', 'Confusion matrix (ensemble of 2)', 'Misclassified test images (ensemble of 2)']) {
      expect(html).to.contain(`<h2>${title}</h2>`);
    }
    expect(count(html, /data:image\/png;base64,/g)).to.equal(30 + 8); // 30 filters, 8 errors (i % 7 == 0)
    expect(html).to.not.match(/(src|href)="(https?:)?\/\//); // nothing fetched from elsewhere
    expect(html).to.contain('#7: 7 → 8');
  });

  it('escapes text everywhere it came from the caller', async () => {
    const html = await renderReport(full);
    expect(html).to.not.contain('<script>');
    expect(html).to.not.contain('<b>report');
    expect(html).to.contain('Ensemble &lt;b&gt;report&lt;/b&gt; &amp; &quot;more&quot;');
    expect(html).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).to.not.contain('member <1>');
    expect(escapeHtml(`<a href="x">'&'</a>`)).to.equal('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('handles an empty history (and nothing else) with notes instead of plots', async () => {
    const file = join(dir, 'empty.html');
    await writeReport(file, { title: 'empty', members: [{ name: 'm', history: { loss: [], epochs: [] } }] });
    const html = readFileSync(file, 'utf8');
    expect(count(html, /<svg[\s>]/g)).to.equal(0);
    expect(count(html, /No training history to plot\./g)).to.equal(2);
    expect(count(html, /<svg[\s>]/g)).to.equal(0);
    const none = await renderReport({ title: 'nothing' });
    expect(none).to.contain('<h1>nothing</h1>');
  });

  it('plots histories without test accuracy', async () => {
    const h: History = { loss: [1, 0.5], epochs: [{ epoch: 1, meanLoss: 0.75, trainAccuracy: 0.5, testAccuracy: null, seconds: 1 }] };
    const html = await renderReport({ title: 't', members: [{ name: 'a', history: h }] });
    expect(count(html, /<svg[\s>]/g)).to.equal(2);
  });

  it('counts a confusion matrix and refuses labels out of range', () => {
    expect(confusionMatrix([0, 1, 1, 2], [0, 1, 2, 2], 3)).to.deep.equal([[1, 0, 0], [0, 1, 0], [0, 1, 1]]);
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).to.throw(/example 1 has label 1 and prediction 3, outside 0\.\.2/);
    expect(() => confusionMatrix([0], [0, 1], 3)).to.throw(/1 predictions for 2 labels/);
  });

  it('makes PNG tiles and filter tiles of the first input channel', () => {
    const uri = pngDataUri({ pixels: [0, 0.5, 1, 1], height: 2, width: 2 });
    const png = Buffer.from(uri.replace('data:image/png;base64,', ''), 'base64');
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).to.equal('PNG');
    const tiles = filterTiles(normal(key(3), [4, 3, 5, 5]));
    expect(tiles).to.have.length(4);
    expect(tiles[0].pixels).to.have.length(25);
    expect(() => filterTiles(normal(key(3), [4, 25]))).to.throw(/expects conv weights \(out, in, kh, kw\), got shape \[4,25\]/);
  });

  it('shows 3-channel images in colour and others by their first channel, at their own size', () => {
    const png = (uri: string) => decode(Buffer.from(uri.replace('data:image/png;base64,', ''), 'base64'));
    const rgb = png(pngDataUri(exampleTile(uniform(key(4), [2, 3 * 12 * 10]), 1, [3, 12, 10], 'x')));
    expect([rgb.width, rgb.height, rgb.channels]).to.deep.equal([10, 12, 3]);
    const red = png(pngDataUri({ pixels: [1, 0, 0, 0, 0, 1], height: 1, width: 2, channels: 3, range: [0, 1] }));
    expect([...red.data]).to.deep.equal([255, 0, 0, 0, 0, 255]); // planes interleaved per pixel
    const two = png(pngDataUri(exampleTile(uniform(key(4), [1, 2, 5, 5]), 0, [2, 5, 5], 'y')));
    expect([two.width, two.height, two.channels]).to.deep.equal([5, 5, 1]);
    expect(() => exampleTile(uniform(key(4), [1, 784]), 0, [3, 12, 12], 'z')).to.throw(/image shape \[3,12,12\] does not fit inputs of shape \[1,784\]/);
  });

  it('downsamples long loss curves to window means', () => {
    expect(downsample([1, 2, 3, 4, 5], 2)).to.deep.equal([[3, 2], [5, 4.5]]);
    expect(downsample(Array.from({ length: 10_000 }, () => 1))).to.have.length(400);
  });
});
