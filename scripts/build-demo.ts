/**
 * Builds the browser demo into build/demo/: the page and its worker bundled by esbuild for
 * browsers (package.json's "browser" map swaps in the browser platform files), the kernels'
 * wasm builds, the MNIST asset (scripts/build-mnist-asset.ts, made once), the book's weights
 * (assets/book-weights), the bench page with TensorFlow.js's wasm files, the HTML, CSS and favicon. `npm run demo` runs this, then serve-demo.ts.
 * Usage: tsx scripts/build-demo.ts [--minify]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'build', 'demo');
const asset = join(root, 'build', 'demo-assets', 'mnist.bin.gz');

/** Runs a project script with the same Node and the tsx loader. */
const runScript = (script: string, args: readonly string[] = []): void => {
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', script), ...args], { cwd: root, stdio: 'inherit' });
};

const copy = (from: string, to: string): void => {
  if (!existsSync(from)) throw new Error(`build-demo: ${from} is missing`);
  copyFileSync(from, to);
};

const started = performance.now();
mkdirSync(join(out, 'wasm'), { recursive: true });
mkdirSync(join(out, 'weights'), { recursive: true });

const wasm = ['kernels-relaxed.wasm', 'kernels-simd.wasm', 'kernels-relaxed-unshared.wasm', 'kernels-simd-unshared.wasm'];
if (wasm.some((f) => !existsSync(join(root, 'build', f)))) runScript('build-wasm.ts');
for (const f of wasm) copy(join(root, 'build', f), join(out, 'wasm', f));

if (!existsSync(asset)) runScript('build-mnist-asset.ts', [asset]);
copy(asset, join(out, 'mnist.bin.gz'));
for (const f of ['deep_convnet_2016.npz', 'simple_convnet_2016.npz']) copy(join(root, 'assets', 'book-weights', f), join(out, 'weights', f));
// the bench page's peer: TensorFlow.js's wasm files, served from the page's own origin
mkdirSync(join(out, 'tfjs'), { recursive: true });
const tfjsDist = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) copy(join(tfjsDist, f), join(out, 'tfjs', f));
for (const f of ['index.html', 'bench.html', 'style.css', 'favicon.svg']) copy(join(root, 'demo', f), join(out, f));

await esbuild.build({
  entryPoints: {
    main: join(root, 'demo', 'main.ts'), 'train-worker': join(root, 'demo', 'train-worker.ts'),
    bench: join(root, 'demo', 'bench.ts'), 'bench-worker': join(root, 'demo', 'bench-worker.ts'),
  },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome114', 'firefox120', 'safari17'],
  sourcemap: true,
  minify: process.argv.includes('--minify'),
  logLevel: 'warning',
});

const size = (dir: string): number => readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .map((f) => statSync(join(dir, f))).filter((s) => s.isFile()).reduce((a, s) => a + s.size, 0);
console.log(`built ${out} (${(size(out) / 2 ** 20).toFixed(1)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
