/**
 * Compiles the AssemblyScript kernels (lib/kernels/wasm/assembly) into build/: one plain-SIMD
 * and one relaxed-SIMD (FMA) module, both importing a shared memory so a worker can join in.
 * Run by `npm run build:wasm` and by `prepare` on `npm ci`.
 */
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = 'lib/kernels/wasm/assembly/index.ts';
const common = [
  entry, '--baseDir', root, '-O3', '--noAssert', '--runtime', 'stub', '--enable', 'simd', '--enable', 'threads',
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  '--noExportMemory',
];
const variants: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['simd', []],
  ['relaxed', ['--enable', 'relaxed-simd']],
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
