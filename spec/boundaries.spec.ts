/**
 * Folder boundaries: a folder of lib/ imports only folders earlier in LAYERS (and itself); lib/
 * never imports spec/, bench/ or scripts/, and spec/ never imports bench/.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The order of lib/: each entry lists the folders (or root files, without .ts) of one level. */
export const LAYERS: readonly (readonly string[])[] = [
  ['platform'], ['tensor', 'tensor-unsafe'], ['random', 'tree', 'decode'], ['kernels'], ['ops'], ['layers'], ['losses', 'gradcheck'],
  ['models'], ['optim'], ['data'], ['augment'], ['train'], ['onnx'], ['report'], ['jobs'], ['ensemble'], ['queue'], ['search'], ['bench'], ['cli'], ['index', 'browser', 'entry'],
];

/** The level of a path under lib/ (its first folder, or its file name for root files). */
const levelOf = (libPath: string): number => {
  const first = libPath.split('/')[0].replace(/\.(ts|mjs)$/, '');
  const level = LAYERS.findIndex((names) => names.includes(first));
  if (level < 0) throw new Error(`lib/${libPath} belongs to no level of LAYERS: add its folder there (and to the README's map)`);
  return level;
};

const filesUnder = (dir: string): string[] => readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.(ts|mjs)$/.test(f) && !f.includes('assembly/'))
  .map((f) => join(dir, f));

/** Relative import specifiers of a source file (static imports, re-exports, dynamic imports). */
const importsOf = (file: string): string[] =>
  [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);

const resolved = (file: string, spec: string): string => normalize(join(dirname(file), spec));

describe('folder boundaries', () => {
  it('every lib/ folder imports only folders earlier in the order, or itself', () => {
    const wrong: string[] = [];
    for (const file of filesUnder('lib')) {
      const from = levelOf(relative('lib', file));
      for (const spec of importsOf(file)) {
        const target = resolved(file, spec);
        if (!target.startsWith('lib/')) { wrong.push(`${file} imports ${target}, outside lib/`); continue; }
        const to = levelOf(relative('lib', target));
        if (to > from) wrong.push(`${file} (${LAYERS[from].join('/')}) imports ${target} (${LAYERS[to].join('/')}), a later folder`);
      }
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });

  it('spec/ imports lib/ and its own helpers, never bench/', () => {
    const wrong = filesUnder('spec').flatMap((file) => importsOf(file)
      .map((spec) => resolved(file, spec)).filter((t) => t.startsWith('bench/')).map((t) => `${file} imports ${t}`));
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });

  it('the README stays a page for users: at most 8 KB', () => {
    expect(readFileSync(join(ROOT, 'README.md')).length).to.be.at.most(8192);
  });

  it("the README's map of lib/ names every level, in the same order", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const map = readme.slice(readme.indexOf('## Map of lib/'), readme.indexOf('## Recipes'));
    const at = (name: string): number => {
      const folder = map.indexOf(`\`${name}/\``);
      return folder >= 0 ? folder : map.indexOf(`\`${name}.ts\``);
    };
    const missing = LAYERS.flat().filter((name) => at(name) < 0);
    expect(missing, `not in the README's map: ${missing.join(', ')}`).to.deep.equal([]);
    const firsts = LAYERS.map((names) => Math.min(...names.map(at)));
    expect(firsts, 'the map lists the levels in the order of LAYERS').to.deep.equal([...firsts].sort((a, b) => a - b));
  });

  it('catches a violation (the check itself works)', () => {
    expect(levelOf('layers/conv.ts')).to.be.above(levelOf('kernels/kernels.ts'));
    expect(() => levelOf('nowhere/x.ts')).to.throw(/belongs to no level/);
    expect(importsOf('lib/layers/conv.ts').map((s) => resolved('lib/layers/conv.ts', s))).to.include('lib/kernels/kernels.ts');
  });
});
