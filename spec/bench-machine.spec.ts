/** `tenfold bench --json` rows name the machine (CPU, AVX-512, cores, Node, kernels), and so does the printed table. */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from './helpers/child.ts';

const cli = fileURLToPath(new URL('../lib/cli/tenfold.ts', import.meta.url));

describe('tenfold bench: the machine in its output', function () {
  this.timeout(120_000);
  let tmp = '';
  before(() => { tmp = mkdtempSync(join(tmpdir(), 'tenfold-bench-machine-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('gives every JSON row the CPU model, AVX-512 (on Linux), core count, Node version and kernels, and prints them above the table', async () => {
    const json = join(tmp, 'rows.json');
    const r = await runChild([cli, 'bench', '--filter', 'gemm 128x', '--max-time', '0.1', '--json', json],
      { timeoutMs: 90_000, env: { TENFOLD_BENCH_NO_PEERS: '1' } });
    expect(r.status, r.stderr).to.equal(0);
    const kernels = /^tenfold kernels: (\S+);/m.exec(r.stdout)?.[1];
    expect(kernels).to.be.a('string');
    const rows = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>[];
    expect(rows).to.not.be.empty;
    const linux = existsSync('/proc/cpuinfo');
    for (const row of rows) {
      expect(row.cpu).to.equal(cpus()[0].model.trim());
      expect(row.cores).to.equal(cpus().length);
      expect(row.node).to.equal(process.version);
      expect(row.kernels).to.equal(kernels);
      if (linux) expect(row.avx512).to.be.a('boolean');
      else expect(row).to.not.have.property('avx512');
    }
    const vector = !linux ? '' : rows[0].avx512 === true ? ' (AVX-512)' : ' (no AVX-512)';
    const header = `machine: ${cpus()[0].model.trim()}${vector}, ${cpus().length} cores, Node ${process.version}, kernels ${kernels}`;
    const lines = r.stdout.split('\n');
    const at = lines.indexOf(header);
    expect(at, r.stdout).to.be.at.least(0);
    expect(lines[at + 1]).to.match(/^kernel\s+shape\s+library/);
  });
});
