/**
 * The bench page runs in Chromium: tenfold's GEMM and training-step rows beside TensorFlow.js's
 * wasm backend in the same page (its wasm files served by the demo's server), with no console
 * error. Short timings only: the figures themselves are for docs/browser.md, never asserted.
 */
import { expect } from 'chai';
import type { BenchRow } from '../demo/bench-worker.ts';
import { buildDemo, startHarness, type Harness } from './helpers.ts';

describe('the bench page in Chromium', function () {
  this.timeout(120_000);
  let h: Harness;
  before(async () => {
    buildDemo();
    h = await startHarness();
  });
  after(async () => { await h?.close(); });

  it('measures GEMM and the SimpleConvNet training step for tenfold and tfjs-wasm, side by side', async () => {
    const page = await h.browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${h.isolated.url}bench.html?max-time=0.05&sizes=128,256`);
    await page.waitForSelector('#bench-status[data-state]', { timeout: 100_000 });
    expect(await page.getAttribute('#bench-status', 'data-state'), await page.textContent('#bench-status') ?? '').to.equal('done');
    const rows = JSON.parse(await page.getAttribute('body', 'data-rows') ?? '[]') as BenchRow[];
    const keys = rows.map((r) => `${r.kernel} ${r.shape} ${r.library} ×${r.threads}`);
    expect(keys).to.deep.equal([
      'gemm 128x128x128 tenfold ×2', 'gemm 128x128x128 tfjs-wasm ×1', 'gemm 256x256x256 tenfold ×2', 'gemm 256x256x256 tfjs-wasm ×1',
      'train-step simple-convnet batch 100 adam tenfold ×2', 'train-step simple-convnet batch 100 adam tfjs-wasm ×1',
    ]);
    for (const r of rows) expect(r.medianMs, keys.join()).to.be.above(0);
    expect(await page.locator('#rows tr').count()).to.equal(rows.length);
    expect(errors, errors.join('\n')).to.deep.equal([]);
    await page.close();
  });
});
