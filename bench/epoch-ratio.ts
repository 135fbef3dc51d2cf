/**
 * The epoch beside its steps: `tenfold train`'s secondsPerEpoch (training steps only) against 600 ×
 * the bench's train-step median for the same model and optimizer, in alternating rounds (bench
 * rows, then one epoch of each model), each a fresh process with the flags the commands use.
 *
 *   npx tsx bench/epoch-ratio.ts [--rounds 3]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchMachine, describeMachine } from '../lib/bench/machine.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const TENFOLD = join(import.meta.dirname, '..', 'lib', 'cli', 'tenfold.ts');
/** Each model's train flags and its bench row (batch 100, Adam, as the train flags). */
const models = [
  { name: 'mlp-100', row: 'mlp-100 batch 100 adam', train: ['--model', 'mlp', '--hidden', '100'] },
  { name: 'simple-convnet', row: 'simple-convnet batch 100 adam', train: ['--model', 'simple-convnet'] },
] as const;

/** The stdout of a successful `tenfold …` (it restarts Node with the command's own flags). */
const tenfold = (args: readonly string[]): Promise<string> => new Promise((resolve, reject) => {
  const child = spawn(process.execPath, ['--import', 'tsx', TENFOLD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`tenfold ${args.join(' ')} exited ${code}:\n${err}`))));
});

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'tenfold-epoch-ratio-'));
const ratios = new Map<string, number[]>(models.map((m) => [m.name, []]));
try {
  for (let round = 1; round <= Number(values.rounds); round++) {
    const json = join(dir, `rows-${round}.json`);
    const filter = `train-step (${models.map((m) => m.row).join('|')}) tenfold$`;
    await tenfold(['bench', '--filter', filter, '--max-time', '2', '--json', json]);
    const rows = JSON.parse(readFileSync(json, 'utf8')) as { shape: string; medianMs: number }[];
    for (const m of models) {
      const step = rows.find((r) => r.shape === m.row)?.medianMs;
      if (step === undefined) throw new Error(`no bench row "${m.row}" in ${json}`);
      const out = await tenfold(['train', ...m.train, '--optimizer', 'adam', '--lr', '0.001', '--epochs', '1', '--seed', '1', '--json']);
      const epoch = (JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { secondsPerEpoch?: number }).secondsPerEpoch;
      if (epoch === undefined) throw new Error(`tenfold train printed no secondsPerEpoch:\n${out}`);
      const ratio = epoch / (0.6 * step);
      ratios.get(m.name)?.push(ratio);
      console.log(`round ${round} ${m.name}: step ${step.toFixed(3)} ms (600 steps ${(0.6 * step).toFixed(2)} s), epoch ${epoch.toFixed(2)} s, ratio ${ratio.toFixed(3)}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const [name, rs] of ratios) console.log(`${name}: epoch / 600 steps, median ${median(rs).toFixed(3)} (${rs.map((r) => r.toFixed(3)).join(', ')})`);
console.log(describeMachine(benchMachine()));
