/** `tenfold bench`: tenfold's kernels and training steps timed, beside TensorFlow.js when its packages are installed. */
import { writeFileSync } from 'node:fs';
import * as t from 'io-ts';
import { gemmCases } from '../../bench/gemm-cases.ts';
import { formatRows, runCase, type BenchCase, type BenchRow } from '../../bench/harness.ts';
import { inferenceCases, ortLabel } from '../../bench/inference-cases.ts';
import { layerCases } from '../../bench/layer-cases.ts';
import { benchMachine } from '../../bench/machine.ts';
import { tfjsPackages } from '../../bench/peers/names.ts';
import { ortAvailable, ortPackage, useOrt } from '../../bench/peers/ort.ts';
import { tfjsAvailable, useTfjs } from '../../bench/peers/tfjs.ts';
import { activeKernels } from '../../kernels/backend.ts';
import { UsageError } from '../args.ts';
import { PositiveInt, PositiveNumber } from '../codecs.ts';
import type { Command } from '../command.ts';
import { prepareOutputFile } from '../output-paths.ts';

const specs = {
  json: { codec: t.string, help: 'also write the rows as a JSON array to this file' },
  filter: { codec: t.string, help: 'only cases whose "kernel shape library" matches this regular expression' },
  'max-time': { codec: PositiveNumber, default: '1', help: 'seconds of sampling per case' },
  threads: { codec: PositiveInt, default: '1', help: 'threads for tfjs-wasm and onnxruntime-web (tenfold uses its own setting, TENFOLD_THREADS)' },
  help: {
    codec: 'boolean',
    help: `show this help. TensorFlow.js rows run when ${tfjsPackages.join(', ')} are installed, ONNX Runtime inference rows when ${ortPackage} is; TENFOLD_BENCH_NO_PEERS=1 leaves them out`,
  },
} as const;

const filterOf = (source: string | undefined): RegExp | undefined => {
  if (source === undefined) return undefined;
  try { return new RegExp(source); } catch (err) { throw new UsageError(`--filter: ${(err as Error).message}`); }
};

/** The bench command. */
export const benchCommand: Command<typeof specs> = {
  name: 'bench', summary: 'time tenfold\'s kernels and training steps, beside TensorFlow.js when installed', specs,
  run: async (flags) => {
    const filter = filterOf(flags.filter);
    const json = flags.json === undefined ? undefined : prepareOutputFile('--json', flags.json);
    const peers = await tfjsAvailable();
    // the wasm thread count is read once, by the first activation, and the cases' rows record it
    if (peers) await useTfjs('wasm', flags.threads);
    else process.stdout.write(`TensorFlow.js peers not installed (npm i -D ${tfjsPackages.join(' ')}): tenfold rows only\n`);
    const ort = await ortAvailable();
    // ORT reads its thread count once, when the first session is created
    if (ort) await useOrt(flags.threads);
    else process.stdout.write(`ONNX Runtime Web not installed (npm i -D ${ortPackage}): no inference peer rows\n`);
    const ourThreads = Number(process.env.TENFOLD_THREADS ?? 2);
    const cases: BenchCase[] = [...gemmCases(ourThreads, peers), ...layerCases(ourThreads, peers), ...inferenceCases(ourThreads, ort ? flags.threads : undefined)]
      .filter((c) => filter === undefined || filter.test(`${c.kernel} ${c.shape} ${c.library}`));
    process.stdout.write(`tenfold kernels: ${activeKernels().name}; ${cases.length} cases\n`);
    // read before any case: a variant case swaps the kernels while it runs
    const machine = benchMachine();
    // tfjs-cpu runs late: its garbage keeps V8's GC threads busy on the core tenfold's helper needs;
    // ORT last: its wasm thread pool lives on once started
    const late = (c: BenchCase): number => (c.library === ortLabel ? 2 : c.library === 'tfjs-cpu' ? 1 : 0);
    const order = [...cases.keys()].sort((i, j) => late(cases[i]) - late(cases[j]) || i - j);
    const rows: BenchRow[] = new Array<BenchRow>(cases.length);
    for (const i of order) {
      const c = cases[i];
      rows[i] = { ...(await runCase(c, flags['max-time'])), ...machine };
      process.stderr.write(`  ${c.kernel} ${c.shape} ${c.library}: ${rows[i].medianMs.toFixed(3)} ms\n`);
    }
    process.stdout.write(`${formatRows(rows, machine)}\n`);
    if (json !== undefined) writeFileSync(json, `${JSON.stringify(rows, null, 2)}\n`);
  },
};
