/** The bench page: starts the bench worker and fills the table as rows come in. */
import type { BenchRequest, BenchRow } from './bench-worker.ts';

type Reply = { type: 'row'; row: BenchRow } | { type: 'done'; kernels: string; threads: number } | { type: 'error'; message: string };

const params = new URLSearchParams(location.search);
const request: BenchRequest = {
  wasmUrl: new URL('wasm/', location.href).href,
  tfjsUrl: new URL('tfjs/', location.href).href,
  maxTime: Number(params.get('max-time') ?? '1'),
  sizes: (params.get('sizes') ?? '128,256,512,1024').split(',').map(Number),
};
const table = document.getElementById('rows') as HTMLTableSectionElement;
const status = document.getElementById('bench-status') as HTMLElement;
const worker = new Worker('bench-worker.js', { type: 'module', name: 'tenfold bench' });
const rows: BenchRow[] = [];
worker.onmessage = (e: MessageEvent<Reply>) => {
  const m = e.data;
  if (m.type === 'row') {
    rows.push(m.row);
    const tr = table.insertRow();
    const ours = rows.find((r) => r.kernel === m.row.kernel && r.shape === m.row.shape && r.library === 'tenfold');
    const ratio = ours === undefined || m.row === ours ? '' : `${(m.row.medianMs / ours.medianMs).toFixed(2)}× tenfold's time`;
    for (const cell of [m.row.kernel, m.row.shape, m.row.library, String(m.row.threads), m.row.medianMs.toFixed(3),
      m.row.gflops === null ? '' : m.row.gflops.toFixed(1), String(m.row.samples), ratio]) tr.insertCell().textContent = cell;
  } else if (m.type === 'done') {
    status.textContent = `done: tenfold on ${m.kernels}, ${m.threads} thread${m.threads === 1 ? '' : 's'}; TensorFlow.js wasm on one thread (SIMD build)`;
    status.dataset.state = 'done';
    document.body.dataset.rows = JSON.stringify(rows);
  } else {
    status.textContent = `failed: ${m.message}`;
    status.dataset.state = 'failed';
  }
};
worker.postMessage(request);
