#!/usr/bin/env node
/** The `tenfold` command: `tenfold <command> [flags]`; `tenfold <command> --help` lists a command's flags. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FlagSpecs } from './args.ts';
import { runCommand, type Command } from './command.ts';
import { POOL_NODE_FLAGS, TRAINING_NODE_FLAGS } from './node-flags.ts';

// loaded on demand, so `tenfold train` does not load the ensemble's worker pool
type Runner = (argv: readonly string[]) => void;
const runner = <S extends FlagSpecs>(c: Command<S>): Runner => (argv) => runCommand(c, argv);
const commands: Readonly<Record<string, () => Promise<Runner>>> = {
  train: async () => runner((await import('./commands/train.ts')).trainCommand),
  evaluate: async () => runner((await import('./commands/evaluate.ts')).evaluateCommand),
  ensemble: async () => runner((await import('./commands/ensemble.ts')).ensembleCommand),
  search: async () => runner((await import('./commands/search.ts')).searchCommand),
  bench: async () => runner((await import('./commands/bench.ts')).benchCommand),
  worker: async () => runner((await import('./commands/worker.ts')).workerCommand),
  export: async () => runner((await import('./commands/export.ts')).exportCommand),
};

/** Node flags a command runs best with (see node-flags.ts). */
const nodeFlags: Readonly<Record<string, readonly string[]>> = {
  train: TRAINING_NODE_FLAGS, evaluate: TRAINING_NODE_FLAGS, bench: TRAINING_NODE_FLAGS,
  ensemble: POOL_NODE_FLAGS, search: POOL_NODE_FLAGS, worker: POOL_NODE_FLAGS,
};

const usageText = `usage: tenfold <command> [flags]   (tenfold <command> --help for its flags)\ncommands: ${Object.keys(commands).join(', ')}\n`;

const main = async (argv: readonly string[]): Promise<void> => {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') { process.stdout.write(usageText); return; }
  const load = commands[name];
  if (load === undefined) { process.stderr.write(`tenfold: unknown command "${name}"\n${usageText}`); process.exitCode = 2; return; }
  const wanted = (nodeFlags[name] ?? []).filter((f) => !process.execArgv.includes(f));
  if (wanted.length > 0) {
    // start Node again with the flags it needs; signals reach the child too, and its exit code is ours
    const child = spawn(process.execPath, [...process.execArgv, ...wanted, fileURLToPath(import.meta.url), ...argv], { stdio: 'inherit' });
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => child.kill(s));
    child.on('exit', (code, signal) => { process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 143); });
    return;
  }
  (await load())(rest);
};

void main(process.argv.slice(2));
