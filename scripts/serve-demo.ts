/**
 * Serves the built demo (build/demo, made by scripts/build-demo.ts) on 127.0.0.1 with the
 * headers that make a page cross-origin isolated (COOP same-origin + COEP require-corp), so it
 * gets SharedArrayBuffer and the threaded kernels; `--no-isolation` serves it without them (one
 * thread). `npm run demo` builds then runs this; the browser test starts servers through
 * startDemoServer. Usage: tsx scripts/serve-demo.ts [--port N] [--no-isolation]
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the built demo is. */
export const DEMO_DIR = fileURLToPath(new URL('../build/demo/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.map': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.gz': 'application/octet-stream', '.npz': 'application/octet-stream', '.tfm': 'application/octet-stream',
};

/** A running server: its base URL (ending in /) and how to stop it. */
export interface DemoServer {
  readonly url: string;
  readonly close: () => Promise<void>;
}

/** Options of startDemoServer. */
export interface DemoServerOptions {
  /** Serve the COOP/COEP headers (default true). */
  readonly isolated?: boolean;
  /** 0 (default): a free port. */
  readonly port?: number;
  readonly root?: string;
}

/** The file a request path names inside root, or undefined (outside root, or not a file). */
const fileFor = (root: string, urlPath: string): string | undefined => {
  let path: string;
  try { path = decodeURIComponent(urlPath.split('?')[0]); } catch { return undefined; }
  if (path === '/favicon.ico') path = '/favicon.svg';
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(root, path));
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  try { return statSync(file).isFile() ? file : undefined; } catch { return undefined; }
};

/** Starts serving `root` on 127.0.0.1. */
export const startDemoServer = (options: DemoServerOptions = {}): Promise<DemoServer> => {
  const root = options.root ?? DEMO_DIR;
  const isolated = options.isolated ?? true;
  const server = createServer((req, res) => {
    const file = req.method === 'GET' || req.method === 'HEAD' ? fileFor(root, req.url ?? '/') : undefined;
    const headers: Record<string, string> = { 'Cache-Control': 'no-cache', 'Cross-Origin-Resource-Policy': 'same-origin' };
    if (isolated) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    if (file === undefined) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${req.url ?? ''}\n`);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': String(statSync(file).size) });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
};

/** The command line: parse the flags, start one server, print its URL. */
const main = async (args: readonly string[]): Promise<void> => {
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`serve-demo: --port must be a port number, got "${args[portAt + 1]}"`);
  const unknown = args.filter((a, i) => a !== '--no-isolation' && a !== '--port' && !(portAt >= 0 && i === portAt + 1));
  if (unknown.length > 0) throw new Error(`serve-demo: unknown argument ${unknown[0]} (usage: [--port N] [--no-isolation])`);
  if (statSync(join(DEMO_DIR, 'index.html'), { throwIfNoEntry: false }) === undefined) {
    throw new Error(`serve-demo: ${DEMO_DIR} has no index.html: run npm run demo (or tsx scripts/build-demo.ts) first`);
  }
  const isolated = !args.includes('--no-isolation');
  const s = await startDemoServer({ port, isolated });
  console.log(`tenfold demo at ${s.url} (${isolated ? 'cross-origin isolated: two threads' : 'not isolated: one thread'}); Ctrl-C stops it`);
};

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
}
