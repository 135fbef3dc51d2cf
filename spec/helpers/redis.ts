/**
 * A real redis-server for a spec: on 127.0.0.1, a free port, its own temporary directory, no
 * snapshots (and no append-only file unless asked); started in before(), stopped in after(); a
 * spec of crashes can kill it with SIGKILL and start it again on the same port and files.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running redis-server. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The server's process now (a new one after `restart`). */
  readonly process: ChildProcess;
  /** Its log so far (stdout and stderr), across restarts. */
  readonly output: () => string;
  /** Kills it with SIGKILL (a crash: nothing flushed) and waits for its exit; its directory stays, for `restart`. */
  readonly kill: () => Promise<void>;
  /** Starts it again on the same port and directory (with the same options: an append-only file is reloaded) and waits for PING. */
  readonly restart: () => Promise<void>;
  /** Stops it (SIGTERM, then SIGKILL after 3 s) and removes its directory. */
  readonly stop: () => Promise<void>;
}

/** Options of `startRedis`. */
export interface RedisOptions {
  /** Keep an append-only file (for a spec that restarts the server); default off. */
  readonly appendonly?: boolean;
}

/** Whether redis-server is on PATH. */
export const haveRedis = (): boolean => spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const address = s.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    s.close(() => resolve(port));
  });
});

/** One PING over a raw socket: true on +PONG (no client library, so the helper tests nothing of ours). */
const ping = (port: number): Promise<boolean> => new Promise((resolve) => {
  const socket = createConnection({ host: '127.0.0.1', port });
  let reply = '';
  const done = (ok: boolean): void => { socket.destroy(); resolve(ok); };
  socket.setTimeout(500, () => done(false));
  socket.on('error', () => done(false));
  socket.on('connect', () => socket.write('PING\r\n'));
  socket.on('data', (b) => { reply += b.toString(); if (reply.includes('\r\n')) done(reply.startsWith('+PONG')); });
});

const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

/** One redis-server process on `port` with its files in `dir`, its output appended through `log`. */
const spawnServer = (port: number, dir: string, options: RedisOptions, log: (s: string) => void) => {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', options.appendonly === true ? 'yes' : 'no',
    '--daemonize', 'no', '--protected-mode', 'yes',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.stdout.on('data', (b: Buffer) => log(b.toString()));
  child.stderr.on('data', (b: Buffer) => log(b.toString()));
  const state = { exited: false };
  const exit = new Promise<void>((resolve) => child.on('exit', () => { state.exited = true; children.delete(child); resolve(); }));
  return { child, exit, state };
};

/** Waits (up to 10 s) until the server on `port` answers PING; false if it exited first or never answered. */
const answers = async (port: number, state: { readonly exited: boolean }): Promise<boolean> => {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !state.exited) {
    if (await ping(port)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
};

const startOnce = async (options: RedisOptions): Promise<RedisServer | undefined> => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tenfold-redis-'));
  let out = '';
  const log = (s: string): void => { out += s; };
  let current = spawnServer(port, dir, options, log);
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (current.state.exited) return;
    current.child.kill(signal);
    const timer = setTimeout(() => current.child.kill('SIGKILL'), 3000);
    await current.exit;
    clearTimeout(timer);
  };
  const stop = async (): Promise<void> => {
    await end('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`, port, dir, output: () => out, stop,
    get process() { return current.child; },
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end('SIGKILL');
      current = spawnServer(port, dir, options, log);
      if (!(await answers(port, current.state))) throw new Error(`redis-server did not start again on port ${port} within 10 s:\n${out}`);
    },
  };
  if (await answers(port, current.state)) return server;
  await stop();
  if (/Address already in use/.test(out)) return undefined; // the free port was taken meanwhile: try another
  throw new Error(`redis-server did not answer PING on port ${port} within 10 s:\n${out}`);
};

/** Starts a redis-server and waits until it answers PING. */
export const startRedis = async (options: RedisOptions = {}): Promise<RedisServer> => {
  if (!haveRedis()) throw new Error('redis-server is not on PATH: apt-get install -y redis-server (.ci/run does)');
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = await startOnce(options);
    if (server !== undefined) return server;
  }
  throw new Error('redis-server: no free port after 3 attempts');
};

/** A server for the enclosing describe: started in before(), stopped in after(); call the result inside tests. */
export const useRedis = (options: RedisOptions = {}): (() => RedisServer) => {
  let server: RedisServer | undefined;
  before(async function () {
    this.timeout(15_000);
    server = await startRedis(options);
  });
  after(async () => { await server?.stop(); });
  return () => {
    if (server === undefined) throw new Error('useRedis: the server has not started (use it inside a test)');
    return server;
  };
};
