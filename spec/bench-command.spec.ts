/**
 * `tenfold bench` from the sources: tenfold's rows always, the TensorFlow.js rows only when the
 * peers load (they are devDependencies here; TENFOLD_BENCH_NO_PEERS=1 stands in for a project without them).
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from './helpers/child.ts';

const cli = fileURLToPath(new URL('../lib/cli/tenfold.ts', import.meta.url));
const notInstalled = /^TensorFlow\.js peers not installed \(npm i -D @tensorflow\/tfjs-core @tensorflow\/tfjs-backend-wasm @tensorflow\/tfjs-backend-cpu\): tenfold rows only$/;

/** The libraries of the table's rows for GEMM 128 (the smallest case, ~0.1 ms a call). */
const gemm128Libraries = (stdout: string): string[] =>
  stdout.split('\n').flatMap((l) => /^gemm\s+128x128x128\s+(\S+)\s+\d+\s+\d+\.\d{3}\s/.exec(l)?.[1] ?? []);

describe('tenfold bench', function () {
  this.timeout(120_000);
  let tmp = '';
  before(() => { tmp = mkdtempSync(join(tmpdir(), 'tenfold-bench-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('prints tenfold\'s rows beside the TensorFlow.js rows when the peers are installed, and exits 0', async () => {
    const r = await runChild([cli, 'bench', '--filter', 'gemm 128x', '--max-time', '0.1'], { timeoutMs: 90_000 });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.not.match(/not installed/);
    expect(r.stdout).to.match(/^tenfold kernels: \S+; \d+ cases$/m);
    const libraries = gemm128Libraries(r.stdout);
    expect(libraries).to.include.members(['tenfold', 'tfjs-wasm', 'tfjs-cpu']);
  });

  it('without the peers: one line per peer says so, and only tenfold\'s rows run (and --json writes them)', async () => {
    const json = join(tmp, 'rows.json');
    const r = await runChild([cli, 'bench', '--filter', 'gemm 128x', '--max-time', '0.1', '--json', json],
      { timeoutMs: 90_000, env: { TENFOLD_BENCH_NO_PEERS: '1' } });
    expect(r.status, r.stderr).to.equal(0);
    // one line per peer: TensorFlow.js (the training rows) and ONNX Runtime Web (the inference rows)
    expect(r.stdout.split('\n').filter((l) => /not installed/.test(l))).to.have.length(2);
    expect(r.stdout.split('\n')[0]).to.match(notInstalled);
    expect(r.stdout.split('\n')[1]).to.match(/^ONNX Runtime Web not installed \(npm i -D onnxruntime-web\)/);
    const libraries = gemm128Libraries(r.stdout);
    expect(libraries).to.not.be.empty;
    expect(new Set(libraries)).to.deep.equal(new Set(['tenfold']));
    const rows = JSON.parse(readFileSync(json, 'utf8')) as { library: string; medianMs: number }[];
    expect(rows.map((row) => row.library)).to.deep.equal(libraries);
    for (const row of rows) expect(row.medianMs).to.be.above(0);
  });

  it('refuses a --filter that is no regular expression (usage error, exit 2) before timing anything', async () => {
    const r = await runChild([cli, 'bench', '--filter', '(', '--max-time', '0.1'], { timeoutMs: 30_000, env: { TENFOLD_BENCH_NO_PEERS: '1' } });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/^bench: --filter: Invalid regular expression/);
    expect(r.stdout).to.equal('');
  });

  it('documents the peers and TENFOLD_BENCH_NO_PEERS in --help', async () => {
    const r = await runChild([cli, 'bench', '--help']);
    expect(r.status, r.stderr).to.equal(0);
    for (const flag of ['--filter', '--max-time', '--threads', '--json']) expect(r.stdout).to.include(flag);
    expect(r.stdout).to.include('TENFOLD_BENCH_NO_PEERS=1');
  });
});
