/**
 * The demo page: it only draws and talks; every tensor lives in the training worker
 * (train-worker.ts), and ensemble members in workers of their own. Status elements carry their
 * results as data attributes too, for the browser test (spec-browser/demo.spec.ts) to read.
 */
import { inkFromRgba, preprocessDigit } from '../lib/data/digit-preprocess.ts';
import { drawChart, type Series } from './chart.ts';
import { PEN_WIDTH, setUpPad } from './pad.ts';
import type { DemoModel, FromWorker, ToWorker } from './protocol.ts';
import { runEnsemble } from './ensemble.ts';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
};

const WASM_URL = new URL('wasm/', location.href).href;
const ASSET_URL = new URL('mnist.bin.gz', location.href).href;

const worker = new Worker('train-worker.js', { type: 'module', name: 'tenfold training' });
const post = (m: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(m, transfer);

const losses: [number, number][] = [];
const trainAcc: [number, number][] = [];
const testAcc: [number, number][] = [];
const redraw = (): void => {
  drawChart($<HTMLCanvasElement>('loss-chart'), 'loss per step', [{ label: 'loss', color: '#c0392b', points: losses }]);
  const acc: Series[] = [{ label: 'train', color: '#2980b9', points: trainAcc }, { label: 'test', color: '#27ae60', points: testAcc }];
  drawChart($<HTMLCanvasElement>('acc-chart'), 'accuracy per epoch', acc, [0.8, 1]);
};

const setStatus = (id: string, text: string, data: Record<string, string> = {}): void => {
  const el = $(id);
  el.textContent = text;
  Object.assign(el.dataset, data);
};
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

let predictSeq = 0;
const showPrediction = (seq: number, model: string, p: readonly number[]): void => {
  if (seq !== predictSeq) return; // a newer drawing is on its way
  const best = p.indexOf(Math.max(...p));
  $('probs').replaceChildren(...p.map((v, i) => {
    const row = document.createElement('div');
    row.className = i === best ? 'bar best' : 'bar';
    row.innerHTML = `<span>${i}</span><i style="width:${(v * 100).toFixed(1)}%"></i><b>${(v * 100).toFixed(1)}%</b>`;
    return row;
  }));
  setStatus('predicted', `${best} (${model})`, { seq: String(seq), class: String(best) });
};

const onMessage = (m: FromWorker): void => {
  switch (m.type) {
    case 'ready': {
      const { info } = m;
      setStatus('kernels', `${info.kernels} · ${info.threads} thread${info.threads === 1 ? '' : 's'} · ${info.sharedMemory ? 'shared' : 'unshared'} memory · ${info.crossOriginIsolated ? '' : 'not '}cross-origin isolated · MNIST ${m.train} + ${m.test} images loaded in ${m.seconds.toFixed(1)} s`,
        { kernels: info.kernels, threads: String(info.threads), isolated: String(info.crossOriginIsolated) });
      document.querySelectorAll<HTMLButtonElement>('button[data-needs-ready]').forEach((b) => { b.disabled = false; });
      document.body.dataset.ready = 'true';
      return;
    }
    case 'step':
      losses.push([(m.epoch * m.stepsPerEpoch) + m.step, m.loss]);
      setStatus('ips', `${Math.round(m.imagesPerSecond)} images/s · epoch ${m.epoch + 1}, step ${m.step}/${m.stepsPerEpoch}`);
      redraw();
      return;
    case 'epoch':
      trainAcc.push([m.epoch, m.trainAccuracy]);
      if (m.testAccuracy !== null) testAcc.push([m.epoch, m.testAccuracy]);
      setStatus('ips', `${Math.round(m.imagesPerSecond)} images/s over epoch ${m.epoch} (${m.seconds.toFixed(1)} s) · test ${m.testAccuracy === null ? '–' : pct(m.testAccuracy)}`);
      redraw();
      return;
    case 'trained':
      setStatus('train-result', `${m.model}: ${pct(m.testAccuracy)} on the test set, ${Math.round(m.imagesPerSecond)} images/s${m.stopped ? ' (stopped)' : ''}`,
        { state: 'done', testAccuracy: String(m.testAccuracy), imagesPerSecond: String(m.imagesPerSecond), seconds: String(m.seconds), paramsSha256: m.paramsSha256 });
      setStatus('model-status', `predicting with ${m.model}`, { model: m.model });
      $<HTMLButtonElement>('train').disabled = false;
      return;
    case 'evaluated':
      setStatus('eval-result', `${m.model}: ${pct(m.accuracy)} of ${m.count} test images in ${m.seconds.toFixed(1)} s`, { state: 'done', accuracy: String(m.accuracy), model: m.model });
      return;
    case 'prediction':
      showPrediction(m.seq, m.model, m.probabilities);
      return;
    case 'model-loaded':
      setStatus('model-status', `predicting with ${m.description}`, { model: m.model });
      return;
    case 'model-saved': {
      const link = $<HTMLAnchorElement>('download');
      if (link.href !== '') URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(new Blob([m.bytes.slice()], { type: 'application/zip' }));
      link.hidden = false;
      link.textContent = `download it (${(m.bytes.length / 1024).toFixed(0)} KiB)`;
      link.dataset.bytes = String(m.bytes.length);
      link.dataset.model = $('model-status').dataset.model ?? '';
      return;
    }
    case 'probabilities':
      return;
    case 'error':
      setStatus('error', m.message, { message: m.message });
      $<HTMLButtonElement>('train').disabled = false;
      return;
  }
};
worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
worker.onerror = (e) => setStatus('error', `the training worker failed: ${e.message}`);

const pad = setUpPad($<HTMLCanvasElement>('pad'), () => {
  const canvas = $<HTMLCanvasElement>('pad');
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (g === null) return;
  const image = preprocessDigit(inkFromRgba(g.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height), canvas.width, canvas.height);
  if (image === undefined) return;
  predictSeq += 1;
  $('pad').dataset.seq = String(predictSeq);
  post({ type: 'predict', seq: predictSeq, image }, [image.buffer]);
});
$('pad').dataset.penWidth = String(PEN_WIDTH);

$('clear').addEventListener('click', () => {
  pad.clear();
  predictSeq += 1;
  $('probs').replaceChildren();
  setStatus('predicted', '–', { seq: '', class: '' });
});

$('train').addEventListener('click', () => {
  losses.length = 0; trainAcc.length = 0; testAcc.length = 0;
  const model = $<HTMLSelectElement>('model').value as DemoModel;
  const epochs = Number($<HTMLInputElement>('epochs').value);
  const limit = Number($<HTMLInputElement>('train-limit').value);
  setStatus('train-result', 'training…', { state: 'running' });
  $<HTMLButtonElement>('train').disabled = true;
  post({ type: 'train', model, epochs, seed: 1, ...(limit > 0 && limit < 60_000 ? { trainLimit: limit } : {}) });
});
$('stop').addEventListener('click', () => post({ type: 'stop' }));
$('load-pretrained').addEventListener('click', () => post({ type: 'pretrained', url: new URL('weights/deep_convnet_2016.npz', location.href).href }));
$('evaluate').addEventListener('click', () => {
  setStatus('eval-result', 'evaluating…', { state: 'running' });
  post({ type: 'evaluate' });
});
$('model-file').addEventListener('change', () => {
  const file = $<HTMLInputElement>('model-file').files?.[0];
  if (file === undefined) return;
  file.arrayBuffer().then((b) => post({ type: 'load-model', name: file.name, bytes: new Uint8Array(b) }, [b]),
    (err: unknown) => setStatus('error', `${file.name}: ${String(err)}`, { message: String(err) }));
});
$('save-model').addEventListener('click', () => post({ type: 'save-model' }));
$('ensemble-run').addEventListener('click', () => {
  const members = Number($<HTMLInputElement>('members').value);
  setStatus('ensemble-result', `training ${members} members…`, { state: 'running' });
  runEnsemble({ members, model: 'mlp', epochs: 1, wasmUrl: WASM_URL, assetUrl: ASSET_URL })
    .then((r) => setStatus('ensemble-result',
      `members ${r.memberAccuracies.map(pct).join(', ')} → averaged ${pct(r.ensembleAccuracy)} (+${((r.ensembleAccuracy - Math.max(...r.memberAccuracies)) * 100).toFixed(2)} points over the best member) in ${r.seconds.toFixed(1)} s`,
      { state: 'done', ensembleAccuracy: String(r.ensembleAccuracy), bestMember: String(Math.max(...r.memberAccuracies)), meanMember: String(r.memberAccuracies.reduce((a, b) => a + b, 0) / r.memberAccuracies.length) }))
    .catch((err: unknown) => setStatus('ensemble-result', `failed: ${err instanceof Error ? err.message : String(err)}`, { state: 'failed' }));
});

post({ type: 'init', wasmUrl: WASM_URL, assetUrl: ASSET_URL });
redraw();
