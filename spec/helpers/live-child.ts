/** A child process to signal while it runs: start it, wait for a line, send signals, await its end. */
import { spawn, type ChildProcess } from 'node:child_process';
import { TRAINING_MALLOC_ENV } from '../../lib/cli/node-flags.ts';

const tsxLoader = import.meta.resolve('tsx');

/** A running child and what it has printed. */
export interface LiveChild {
  readonly process: ChildProcess;
  /** stdout and stderr so far. */
  readonly output: () => string;
  /** Resolves once the output matches (rejects after timeoutMs, or if the child exits first). */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  /** Resolves with the exit code (or the signal) once the child exits; kills it after timeoutMs. */
  readonly exited: (timeoutMs?: number) => Promise<{ readonly code: number | null; readonly signal: string | null; readonly timedOut: boolean }>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

/** Starts `node --import tsx ...args`. */
export const startChild = (args: readonly string[], env: Readonly<Record<string, string>> = {}): LiveChild => {
  // the training commands' malloc settings, so that `tenfold` given its Node flags too starts no second process (a SIGKILL reaches it)
  const child = spawn(process.execPath, ['--import', tsxLoader, ...args], { env: { ...process.env, ...TRAINING_MALLOC_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (b: Buffer): void => { out += b.toString(); for (const l of listeners) l(); };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let ended: { code: number | null; signal: string | null } | undefined;
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on('exit', (code, signal) => { children.delete(child); ended = { code, signal }; for (const l of listeners) l(); resolve(ended); });
  });
  return {
    process: child,
    output: () => out,
    waitFor: (pattern, timeoutMs = 20_000) => new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(out)) { done(); resolve(); } else if (ended !== undefined) { done(); reject(new Error(`child exited (${ended.code ?? ended.signal}) before printing ${pattern}:\n${out}`)); }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`)); }, timeoutMs);
      const done = (): void => { clearTimeout(timer); listeners.delete(check); };
      listeners.add(check);
      check();
    }),
    exited: async (timeoutMs = 30_000) => {
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
      const r = await exit;
      clearTimeout(timer);
      return { ...r, timedOut };
    },
  };
};
