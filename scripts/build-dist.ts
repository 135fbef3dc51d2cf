/**
 * Compiles lib/ into dist/: ESM JavaScript, .d.ts types and source maps (TypeScript 7's tsc, with
 * relative `.ts` imports rewritten to `.js`), plus the plain `.mjs` files tsc does not copy (the
 * kernels' helper-thread entry). Run by `npm run build` (and so by `prepack`).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(join(root, 'dist'), { recursive: true, force: true });
// the package's own tsc (its exports map hides bin/ from require.resolve)
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
const copied = readdirSync(join(root, 'lib'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs'));
for (const f of copied) {
  mkdirSync(dirname(join(root, 'dist', f)), { recursive: true });
  copyFileSync(join(root, 'lib', f), join(root, 'dist', f));
}
process.stdout.write(`built dist/ (${copied.length} .mjs copied)\n`);
