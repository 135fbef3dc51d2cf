/** Running node (with tsx) in a child process that is killed if it outlives its timeout: for specs of hangs and faults. */
import { spawn } from 'node:child_process';

/** How to run the child. */
export interface ChildOptions {
  /** Kill the child (and its process group) after this many ms; default 10 000. */
  readonly timeoutMs?: number;
  /** Variables added to (or, when undefined, removed from) the parent's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory; default the parent's. */
  readonly cwd?: string;
  /** Written to the child's stdin, which is then closed; without it stdin is closed at once (a read cannot wait). */
  readonly input?: string;
  /** Run as this user and group (needs root): for permission-denied cases, which root itself never meets. */
  readonly uid?: number;
  readonly gid?: number;
  /** Keep at most this many bytes of each of stdout and stderr; default 1 MiB. */
  readonly maxOutputBytes?: number;
}

/** How the child ended. */
export interface ChildResult {
  /** Exit code, or null if a signal ended it. */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Whether it was killed for outliving timeoutMs. */
  readonly timedOut: boolean;
  /** Wall time from spawn to exit, in ms. */
  readonly ms: number;
}

// Absolute, so the child finds tsx whatever its cwd (a bare --import specifier resolves from the cwd).
const tsxLoader = import.meta.resolve('tsx');

// After SIGKILL a child stuck in the kernel (state D) may still not exit; stop waiting for it after this long.
const graceMs = 2000;

// Children still running when the parent exits (a spec aborted, mocha killed) are killed with it.
const live = new Set<() => void>();
process.on('exit', () => { for (const kill of live) kill(); });

/**
 * Runs `node --import tsx ...args` (args: a script and its arguments, or `-e CODE`) and resolves when it exits
 * or has been killed after timeoutMs. Never rejects for the child's failure; rejects only if it cannot spawn.
 */
export const runChild = (args: readonly string[], options: ChildOptions = {}): Promise<ChildResult> => {
  const { timeoutMs = 10_000, maxOutputBytes = 1 << 20 } = options;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(options.env ?? {})) { if (v === undefined) delete env[k]; else env[k] = v; }
  const start = performance.now();
  const child = spawn(process.execPath, ['--import', tsxLoader, ...args], {
    cwd: options.cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group, so a timeout kills whatever it spawned too.
    detached: process.platform !== 'win32',
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  const collect = (stream: NodeJS.ReadableStream) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (b: Buffer) => {
      if (size >= maxOutputBytes) return;
      chunks.push(b.subarray(0, maxOutputBytes - size));
      size += b.length;
    });
    return () => Buffer.concat(chunks).toString('utf8');
  };
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  child.stdin.on('error', () => { /* the child may exit before reading its input */ });
  child.stdin.end(options.input);

  return new Promise((resolvePromise, reject) => {
    let timedOut = false;
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    const finish = (status: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      live.delete(kill);
      clearTimeout(timer);
      clearTimeout(grace);
      resolvePromise({ status, signal, stdout: stdout(), stderr: stderr(), timedOut, ms: performance.now() - start });
    };
    const kill = () => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch { child.kill('SIGKILL'); }
    };
    live.add(kill);
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
      grace = setTimeout(() => finish(null, 'SIGKILL'), graceMs);
    }, timeoutMs);
    child.on('error', (err) => { if (!settled) { settled = true; live.delete(kill); clearTimeout(timer); kill(); reject(err); } });
    child.on('close', (status, signal) => finish(status, signal));
  });
};
