/** `npm run bench [-- --json FILE] [--filter REGEX] [--max-time S]`: tenfold's kernels beside TensorFlow.js. */
import { writeFileSync } from 'node:fs';
import * as t from 'io-ts';
import { activeKernels } from '../lib/kernels/backend.ts';
import { parseFlags, runMain, usage } from '../lib/cli/args.ts';
import { PositiveNumber } from '../lib/cli/codecs.ts';
import { formatRows, runCase, type BenchCase, type BenchRow } from './harness.ts';
import { gemmCases } from './gemm.bench.ts';
import { useTfjs } from './peers.ts';
import { layerCases } from './layers.bench.ts';

const specs = {
  json: { codec: t.string, help: 'also write the rows as a JSON array to this file' },
  filter: { codec: t.string, help: 'only cases whose "kernel shape library" matches this regular expression' },
  'max-time': { codec: PositiveNumber, default: '1', help: 'seconds of sampling per case' },
  threads: { codec: PositiveNumber, default: '1', help: 'threads for tfjs-wasm (tenfold uses its own setting, TENFOLD_THREADS)' },
  help: { codec: 'boolean', help: 'show this help' },
} as const;

runMain('bench', specs, async () => {
  const flags = parseFlags(process.argv.slice(2), specs);
  if (flags.help) { process.stdout.write(`${usage('bench', specs)}\n`); return; }
  await useTfjs('wasm', flags.threads);
  const ourThreads = Number(process.env.TENFOLD_THREADS ?? 2);
  const filter = flags.filter === undefined ? undefined : new RegExp(flags.filter);
  const cases: BenchCase[] = [...gemmCases(ourThreads), ...layerCases(ourThreads)]
    .filter((c) => filter === undefined || filter.test(`${c.kernel} ${c.shape} ${c.library}`));
  process.stdout.write(`tenfold kernels: ${activeKernels().name}; ${cases.length} cases\n`);
  // tfjs-cpu runs last: its garbage keeps V8's GC threads busy on the core tenfold's helper needs
  const order = [...cases.keys()].sort((i, j) => Number(cases[i].library === 'tfjs-cpu') - Number(cases[j].library === 'tfjs-cpu') || i - j);
  const rows: BenchRow[] = new Array<BenchRow>(cases.length);
  for (const i of order) {
    const c = cases[i];
    rows[i] = await runCase(c, flags['max-time']);
    process.stderr.write(`  ${c.kernel} ${c.shape} ${c.library}: ${rows[i].medianMs.toFixed(3)} ms\n`);
  }
  process.stdout.write(`${formatRows(rows)}\n`);
  if (flags.json !== undefined) writeFileSync(flags.json, `${JSON.stringify(rows, null, 2)}\n`);
});
