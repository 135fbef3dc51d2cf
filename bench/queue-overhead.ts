/**
 * The member queue's overhead in wall time: a local two-worker `tenfold ensemble` against the same
 * ensemble on two `tenfold worker` processes of one thread each (a redis-server of our own on
 * 127.0.0.1), in alternating pairs. Workers are started and ready before the coordinator's clock
 * starts, as they are in a deployment.
 *
 *   npx tsx bench/queue-overhead.ts [--pairs 3] [--preset default] [--members 2] [--epochs 2]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchMachine, describeMachine } from '../lib/bench/machine.ts';
import { startRedis } from '../spec/helpers/redis.ts';

const { values } = parseArgs({
  options: { pairs: { type: 'string', default: '3' }, preset: { type: 'string', default: 'default' }, members: { type: 'string', default: '2' }, epochs: { type: 'string', default: '2' } },
});
const TENFOLD = join(import.meta.dirname, '..', 'lib', 'cli', 'tenfold.ts');
const flags = ['--preset', values.preset, '--members', values.members, '--epochs', values.epochs, '--quiet', '--json'];

const run = (args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess =>
  spawn(process.execPath, ['--import', 'tsx', TENFOLD, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });

/** Seconds from spawn to a successful exit. */
const timed = (args: readonly string[]): Promise<number> => new Promise((resolve, reject) => {
  const started = performance.now();
  const child = run(args);
  let err = '';
  child.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
  child.on('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`tenfold ${args.join(' ')} exited ${code}:\n${err}`))));
});

/** A `tenfold worker` on one thread, resolved once it takes jobs. */
const startWorker = (url: string): Promise<ChildProcess> => new Promise((resolve, reject) => {
  const child = run(['worker', '--queue', url], { ...process.env, TENFOLD_THREADS: '1' });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => { out += b.toString(); if (out.includes('taking members')) resolve(child); });
  child.on('exit', (code) => reject(new Error(`a worker exited ${code} before it was ready:\n${out}`)));
});

const stopWorker = (child: ChildProcess): Promise<void> => new Promise((resolve) => {
  if (child.exitCode !== null) { resolve(); return; }
  child.removeAllListeners('exit');
  child.on('exit', () => resolve());
  child.kill('SIGTERM');
});

const root = mkdtempSync(join(tmpdir(), 'tenfold-queue-overhead-'));
const redis = await startRedis();
const rows: { pair: number; local: number; queued: number }[] = [];
try {
  for (let pair = 0; pair < Number(values.pairs); pair++) {
    const local = async (): Promise<number> => timed(['ensemble', ...flags, '--workers', '2', '--out', join(root, `local-${pair}`)]);
    const queued = async (): Promise<number> => {
      const workers = await Promise.all([startWorker(redis.url), startWorker(redis.url)]);
      try {
        return await timed(['ensemble', ...flags, '--out', join(root, `queued-${pair}`), '--queue', redis.url]);
      } finally {
        await Promise.all(workers.map(stopWorker));
      }
    };
    // alternate which goes first, so a drift of the machine's speed does not favour one
    let a: number;
    let b: number;
    if (pair % 2 === 0) { a = await local(); b = await queued(); } else { b = await queued(); a = await local(); }
    rows.push({ pair: pair + 1, local: a, queued: b });
    console.log(`pair ${pair + 1}: local ${a.toFixed(1)} s, queued ${b.toFixed(1)} s, ratio ${(b / a).toFixed(3)}`);
  }
} finally {
  await redis.stop();
  rmSync(root, { recursive: true, force: true });
}
const ratios = rows.map((r) => r.queued / r.local).sort((x, y) => x - y);
console.log(`queued/local wall time: median ${ratios[Math.floor(ratios.length / 2)].toFixed(3)} (${ratios.map((r) => r.toFixed(3)).join(', ')}); ` +
  `${describeMachine(benchMachine())}; flags ${flags.join(' ')}`);
