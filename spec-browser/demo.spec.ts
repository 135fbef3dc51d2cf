/**
 * The demo in a real browser (headless Chromium from Debian): the kernels and threads each kind
 * of page gets, a SimpleConvNet epoch trained in the page, the book's weights evaluated there,
 * digits drawn with the mouse and classified, an ensemble in Web Workers; no console errors; a
 * screenshot in build/browser-test/demo.png. Run by `npm run test:browser` (and .ci/run).
 */
import { expect } from 'chai';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { loadStrokeFixtures } from '../spec/helpers/strokes.ts';
import * as E from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { activeKernels, fit, loadBookNetwork, paramsSha256, simpleConvNet } from '../lib/index.ts';
import { decodeModel, encodeModel } from '../lib/train/saved-model.ts';
import { parseMnistAsset } from '../lib/data/mnist-asset.ts';
import { BATCH_SIZE, recipe } from '../demo/recipe.ts';
import { buildDemo, dataOf, openDemo, startHarness, type Harness } from './helpers.ts';

const BOOK_WEIGHTS = fileURLToPath(new URL('../assets/book-weights/deep_convnet_2016.npz', import.meta.url));
const SCREENSHOT = fileURLToPath(new URL('../build/browser-test/demo.png', import.meta.url));

/** The page's recipe trained in this Node process on the first `limit` images: its parameters' hash and speed. */
const trainInNode = (limit: number): { readonly sha: string; readonly perSecond: number; readonly kernels: string } => {
  const data = parseMnistAsset(readFileSync(fileURLToPath(new URL('../build/demo/mnist.bin.gz', import.meta.url))));
  if (E.isLeft(data)) throw data.left;
  const r = recipe('simple-convnet', data.right, 1, 1, limit);
  const { state, history } = fit(r.model, r.optimizer, r.initial, { train: r.train, epochs: 1, batchSize: BATCH_SIZE, trainEvalLimit: 100 });
  return { sha: paramsSha256(state.params), perSecond: limit / history.epochs[0].seconds, kernels: activeKernels().name };
};

/** The pad's drawing area in page pixels: inside its border. */
const padBox = (page: Page): Promise<{ readonly x: number; readonly y: number; readonly width: number; readonly height: number }> =>
  page.locator('#pad').evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { x: r.left + el.clientLeft, y: r.top + el.clientTop, width: el.clientWidth, height: el.clientHeight };
  });

/** Replays one digit's strokes with the mouse on the pad; resolves with the class the page predicts. */
const drawDigit = async (page: Page, strokes: readonly (readonly (readonly [number, number])[])[]): Promise<number> => {
  await page.click('#clear');
  const box = await padBox(page);
  for (const stroke of strokes) {
    const [[x0, y0], ...rest] = stroke;
    await page.mouse.move(box.x + x0, box.y + y0);
    await page.mouse.down();
    for (const [x, y] of rest) await page.mouse.move(box.x + x, box.y + y);
    await page.mouse.up();
  }
  await page.waitForFunction(() => {
    const pad = document.getElementById('pad');
    const out = document.getElementById('predicted');
    return pad?.dataset.seq !== undefined && pad.dataset.seq === out?.dataset.seq;
  }, undefined, { timeout: 30_000 });
  return Number(await dataOf(page, '#predicted', 'class'));
};

describe('the demo in Chromium', function () {
  this.timeout(240_000);
  let h: Harness;
  let page: Page;
  let errors: string[];

  before(async () => {
    buildDemo();
    h = await startHarness();
    ({ page, errors } = await openDemo(h.browser, h.isolated.url));
  });
  after(async () => { await h?.close(); });

  it('the isolated page is cross-origin isolated and runs wasm-relaxed-simd on two threads (shared memory, a helper Web Worker)', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).to.equal(true);
    expect(await dataOf(page, '#kernels', 'kernels')).to.equal('wasm-relaxed-simd');
    expect(await dataOf(page, '#kernels', 'threads')).to.equal('2');
  });

  it('a page served without the headers gets the one-thread unshared build (not the reference kernels), and it computes', async () => {
    const plain = await openDemo(h.browser, h.plain.url);
    try {
      expect(await plain.page.evaluate(() => crossOriginIsolated)).to.equal(false);
      expect(await dataOf(plain.page, '#kernels', 'kernels')).to.equal('wasm-relaxed-simd');
      expect(await dataOf(plain.page, '#kernels', 'threads')).to.equal('1');
      expect(await dataOf(plain.page, '#kernels', 'isolated')).to.equal('false');
      await plain.page.click('#load-pretrained');
      await plain.page.waitForSelector('#model-status[data-model^="DeepConvNet"]');
      const fixtures = loadStrokeFixtures();
      const three = fixtures.digits.find((d) => d.label === 3);
      expect(await drawDigit(plain.page, three?.strokes ?? [])).to.equal(3);
      expect(plain.errors, plain.errors.join('\n')).to.deep.equal([]);
    } finally {
      await plain.page.close();
    }
  });

  it('the same run gives the same bits in the page as in Node (SimpleConvNet, first 10 000 images), images per second side by side', async () => {
    await page.selectOption('#model', 'simple-convnet');
    await page.fill('#epochs', '1');
    await page.fill('#train-limit', '10000');
    await page.click('#train');
    await page.waitForSelector('#train-result[data-state="done"], #error[data-message]', { timeout: 120_000 });
    expect(await dataOf(page, '#error', 'message')).to.equal('');
    const inPage = { sha: await dataOf(page, '#train-result', 'params-sha256'), perSecond: Number(await dataOf(page, '#train-result', 'images-per-second')) };
    const inNode = trainInNode(10_000);
    console.log(`      10 000 images: ${Math.round(inPage.perSecond)} images/s in the page, ${Math.round(inNode.perSecond)} in Node (${inNode.kernels})`);
    expect(inPage.sha).to.match(/^[0-9a-f]{64}$/);
    expect(inPage.sha).to.equal(inNode.sha);
  });

  it('one SimpleConvNet epoch on the full training set reaches ≥ 97% test accuracy in the page', async () => {
    await page.selectOption('#model', 'simple-convnet');
    await page.fill('#epochs', '1');
    await page.fill('#train-limit', '60000');
    await page.click('#train');
    await page.waitForSelector('#train-result[data-state="done"], #error[data-message]', { timeout: 200_000 });
    expect(await dataOf(page, '#error', 'message')).to.equal('');
    const accuracy = Number(await dataOf(page, '#train-result', 'test-accuracy'));
    const perSecond = Number(await dataOf(page, '#train-result', 'images-per-second'));
    console.log(`      in the page: ${Math.round(perSecond)} images/s, test accuracy ${(accuracy * 100).toFixed(2)}%, params ${await dataOf(page, '#train-result', 'params-sha256')}`);
    expect(accuracy).to.be.at.least(0.97);
  });

  it('the page saves the model it trained in the package\'s format, and Node loads it to the same parameters', async () => {
    await page.click('#save-model');
    await page.waitForSelector('#download[data-bytes]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const saved = decodeModel(readFileSync(await download.path()), 'download');
    expect(saved.net.name).to.equal(simpleConvNet().name);
    expect(paramsSha256(saved.variables.params)).to.equal(await dataOf(page, '#train-result', 'params-sha256'));
  });

  it('a model saved in Node (the book\'s DeepConvNet) loads in the page through its file input and predicts as in Node', async () => {
    const book = loadBookNetwork('deep-convnet', BOOK_WEIGHTS);
    const bytes = encodeModel({ net: book.net, variables: book.variables, inputShape: [1, 28, 28] });
    await page.setInputFiles('#model-file', { name: 'deep-convnet.tenfold', mimeType: 'application/zip', buffer: Buffer.from(bytes) });
    await page.waitForSelector('#model-status[data-model="deep-convnet.tenfold (saved model)"]');
    const seven = loadStrokeFixtures().digits.find((d) => d.label === 7);
    expect(await drawDigit(page, seven?.strokes ?? [])).to.equal(7);
  });

  it('the book\'s pretrained DeepConvNet gives 99.35% on the 10 000 test images in the page', async () => {
    await page.click('#load-pretrained');
    await page.waitForSelector('#model-status[data-model^="DeepConvNet"]');
    await page.click('#evaluate');
    await page.waitForSelector('#eval-result[data-state="done"]', { timeout: 120_000 });
    expect(Number(await dataOf(page, '#eval-result', 'accuracy'))).to.be.closeTo(0.9935, 1e-9);
  });

  it('the stroke fixtures for 0–9, drawn with the mouse on the canvas with their pen, are classified correctly for at least 9 of 10', async () => {
    await page.click('#load-pretrained'); // again, so this test stands alone (-g)
    await page.waitForSelector('#model-status[data-model^="DeepConvNet"]');
    const fixtures = loadStrokeFixtures();
    expect(Number(await dataOf(page, '#pad', 'pen-width'))).to.equal(fixtures.pen.lineWidth);
    const canvas = await padBox(page);
    expect([canvas.width, canvas.height]).to.deep.equal([fixtures.canvas.width, fixtures.canvas.height]);
    const results: string[] = [];
    let right = 0;
    for (const d of [...fixtures.digits].sort((a, b) => a.label - b.label)) {
      const predicted = await drawDigit(page, d.strokes);
      if (predicted === d.label) right += 1;
      results.push(`${d.label}→${predicted}`);
    }
    console.log(`      drawn digits: ${results.join(' ')}`);
    expect(right, results.join(' ')).to.be.at.least(9);
  });

  it('an ensemble of 3 MLPs trained in Web Workers: averaging does at least as well as the members on average', async () => {
    await page.fill('#members', '3');
    await page.click('#ensemble-run');
    await page.waitForSelector('#ensemble-result[data-state="done"], #ensemble-result[data-state="failed"]', { timeout: 180_000 });
    expect(await dataOf(page, '#ensemble-result', 'state'), await page.textContent('#ensemble-result') ?? '').to.equal('done');
    console.log(`      ${await page.textContent('#ensemble-result')}`);
    const ensemble = Number(await dataOf(page, '#ensemble-result', 'ensemble-accuracy'));
    expect(ensemble).to.be.above(0.85);
    expect(ensemble).to.be.at.least(Number(await dataOf(page, '#ensemble-result', 'mean-member')));
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    rmSync(SCREENSHOT, { force: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).to.be.above(10_000);
    console.log(`      screenshot: ${SCREENSHOT}`);
  });

  it('no console error and no uncaught exception on the page or in its workers', () => {
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });
});
