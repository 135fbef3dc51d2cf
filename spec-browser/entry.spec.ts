/**
 * The browser entry as a bundler sees it: the package's `browser` condition and "browser" map
 * give a bundle with no Node built-in; that bundle (run here in Node, which has fetch) refuses a
 * float32 op before ready() with a message saying so, then loads the unshared build from a URL
 * and computes what the Node entry computes; its plain-TypeScript SHA-256 matches node:crypto's.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { fromArray, matmul, paramsSha256 } from '../lib/index.ts';
import { startDemoServer, type DemoServer } from '../scripts/serve-demo.ts';
import { buildDemo } from './helpers.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** What the bundle exports that this spec calls. */
interface BrowserBundle {
  readonly ready: (o: { wasmUrl: string }) => Promise<{ kernels: string; threads: number; sharedMemory: boolean }>;
  readonly matmul: typeof matmul;
  readonly fromArray: typeof fromArray;
  readonly paramsSha256: typeof paramsSha256;
  readonly activeKernels: () => { name: string };
}

describe('the browser entry, bundled', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'tenfold-browser-entry-'));
  let server: DemoServer;
  let inputs: readonly string[];
  let bundle: BrowserBundle;

  before(async () => {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-dist.ts'], { cwd: root, stdio: 'ignore' });
    buildDemo();
    server = await startDemoServer({ isolated: false });
    // `import 'tenfold'` from inside the package resolves through its own exports map
    const r = await esbuild.build({
      stdin: { contents: "export * from 'tenfold';", resolveDir: root, loader: 'js' },
      bundle: true, format: 'esm', platform: 'browser', metafile: true, write: false, logLevel: 'silent',
    });
    inputs = Object.keys(r.metafile.inputs);
    const file = join(dir, 'tenfold.browser.mjs');
    writeFileSync(file, r.outputFiles[0].contents);
    bundle = await import(pathToFileURL(file).href) as BrowserBundle;
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes dist/browser.js and the browser platform files, and nothing from Node (esbuild would refuse a node: import)', () => {
    expect(inputs).to.include.members(['dist/browser.js', 'dist/platform/host.browser.js', 'dist/kernels/wasm/index.browser.js',
      'dist/kernels/wasm/helper-thread.browser.js', 'dist/data/npz.browser.js']);
    expect(inputs.filter((f) => /dist\/(platform\/host|kernels\/wasm\/(index|helper-thread|load|detect)|data\/(npz|zip|limits|mnist|idx))\.js$/.test(f))).to.deep.equal([]);
  });

  it('a float32 op before ready() throws, saying to await ready(); after it the op runs on the wasm kernels and equals the Node entry\'s', async () => {
    const a = bundle.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = bundle.fromArray([1, 0, 0, 1, 1, 1], [3, 2]);
    expect(() => bundle.matmul(a, b)).to.throw(/not loaded yet.*await ready\(\)/);
    const info = await bundle.ready({ wasmUrl: `${server.url}wasm/` });
    expect(info.kernels).to.match(/^wasm-(relaxed-)?simd$/);
    expect(info).to.include({ threads: 1, sharedMemory: false });
    expect(bundle.activeKernels().name).to.equal(info.kernels);
    const node = matmul(fromArray([1, 2, 3, 4, 5, 6], [2, 3]), fromArray([1, 0, 0, 1, 1, 1], [3, 2]));
    expect(Array.from(bundle.matmul(a, b).data)).to.deep.equal(Array.from(node.data));
  });

  it('a wrong wasmUrl is an error naming the URL and the HTTP status', async () => {
    // ready() resolved above, so a fresh bundle instance is needed: import the file again under another URL
    const again = await import(`${pathToFileURL(join(dir, 'tenfold.browser.mjs')).href}?fresh`) as BrowserBundle;
    let message = '';
    await again.ready({ wasmUrl: `${server.url}nowhere/` }).catch((e: unknown) => { message = (e as Error).message; });
    expect(message).to.match(/kernels-(relaxed|simd)-unshared\.wasm gave HTTP 404/);
  });

  it('hashes parameters as node:crypto does (the browser host\'s SHA-256 is plain TypeScript)', () => {
    const values = Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 100);
    const tree = (f: typeof fromArray) => ({ conv: { W: f(values, [50, 100]), b: f(values.slice(0, 7), [7]) }, affine: { W: f(values.slice(0, 64), [8, 8]) } });
    expect(bundle.paramsSha256(tree(bundle.fromArray))).to.equal(paramsSha256(tree(fromArray)));
  });
});
