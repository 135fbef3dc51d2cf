#!/usr/bin/env node
/** The `tenfold` command: `tenfold <command> [flags]`; `tenfold <command> --help` lists a command's flags. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FlagSpecs } from './args.ts';
import { runCommand, type Command } from './command.ts';
import { missingSettings } from './node-flags.ts';

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

const usageText = `usage: tenfold <command> [flags]   (tenfold <command> --help for its flags)\ncommands: ${Object.keys(commands).join(', ')}\n`;

const main = async (argv: readonly string[]): Promise<void> => {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') { process.stdout.write(usageText); return; }
  const load = commands[name];
  if (load === undefined) { process.stderr.write(`tenfold: unknown command "${name}"\n${usageText}`); process.exitCode = 2; return; }
  const missing = missingSettings(name, process.execArgv, process.env);
  if (missing !== undefined) {
    // start Node again with the flags and environment it needs; signals reach the child too, and its exit code is ours
    const child = spawn(process.execPath, [...process.execArgv, ...missing.flags, fileURLToPath(import.meta.url), ...argv],
      { stdio: 'inherit', env: { ...process.env, ...missing.env } });
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => child.kill(s));
    child.on('exit', (code, signal) => { process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 143); });
    return;
  }
  (await load())(rest);
};

void main(process.argv.slice(2));
