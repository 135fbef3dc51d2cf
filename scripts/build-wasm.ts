/**
 * Compiles the AssemblyScript kernels (lib/kernels/wasm/assembly) into build/: a plain-SIMD and a
 * relaxed-SIMD (FMA) module, each twice: importing a shared memory so a worker can join in (Node,
 * and cross-origin-isolated pages), and `-unshared`, importing an ordinary memory (one thread, for
 * pages without cross-origin isolation, which cannot make a shared one).
 * Run by `npm run build:wasm` and by `prepare` on `npm ci`.
 */
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = 'lib/kernels/wasm/assembly/index.ts';
// threads stays enabled without shared memory: the kernels' atomics are valid on an unshared memory too
const common = [
  entry, '--baseDir', root, '-O3', '--noAssert', '--runtime', 'stub', '--enable', 'simd', '--enable', 'threads',
  '--importMemory', '--initialMemory', '1', '--maximumMemory', '65536', '--noExportMemory',
];
const shared = ['--sharedMemory'];
const relaxed = ['--enable', 'relaxed-simd'];
const variants: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['simd', shared],
  ['relaxed', [...shared, ...relaxed]],
  ['simd-unshared', []],
  ['relaxed-unshared', relaxed],
];

mkdirSync(`${root}/build`, { recursive: true });
for (const [name, flags] of variants) {
  // --wat also writes the text format, to inspect what Binaryen made of the hot loops
  const text = process.argv.includes('--wat') ? ['-t', `build/kernels-${name}.wat`] : [];
  const { error, stderr } = await asc.main([...common, ...flags, '-o', `build/kernels-${name}.wasm`, ...text],
    { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    process.stderr.write(stderr.toString());
    throw new Error(`asc failed for the ${name} build: ${error.message}`);
  }
  console.log(`built build/kernels-${name}.wasm`);
}
