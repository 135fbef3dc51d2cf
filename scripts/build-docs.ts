/**
 * `npm run docs`: API reference pages (docs/api/*.md) from the doc comments of the built .d.ts
 * files, one section per entry point. API Extractor reads the types (it brings its own TypeScript,
 * so TypeScript 7 here is no obstacle) and API Documenter writes the Markdown.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig, ExtractorLogLevel } from '@microsoft/api-extractor';

const root = fileURLToPath(new URL('..', import.meta.url));
const models = join(root, '.tmp', 'api-model');
const out = join(root, 'docs', 'api');

// every entry point of package.json's exports in one model: the root's exports, and each
// subpath as a namespace (tenfold/data → data), since API Extractor reads one entry per package
const exportsMap = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string }> }).exports;
const lines = Object.entries(exportsMap).flatMap(([sub, target]) => {
  if (typeof target === 'string') return [];
  const from = `./${target.types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.js')}`;
  return [sub === '.' ? `export * from '${from}';` : `export * as ${sub.slice(2)} from '${from}';`];
});

execFileSync('npm', ['run', 'build:dist'], { cwd: root, stdio: 'inherit' });
const entry = join(root, 'dist', 'api-docs-entry.d.ts');
writeFileSync(entry, `${lines.join('\n')}\n`);
rmSync(models, { recursive: true, force: true });
mkdirSync(models, { recursive: true });
const config = ExtractorConfig.prepare({
  configObjectFullPath: undefined, // no config file: everything is given here
  packageJsonFullPath: join(root, 'package.json'),
  configObject: {
    projectFolder: root,
    mainEntryPointFilePath: entry,
    compiler: { overrideTsconfig: { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'], skipLibCheck: true } } },
    apiReport: { enabled: false }, dtsRollup: { enabled: false }, tsdocMetadata: { enabled: false },
    docModel: { enabled: true, apiJsonFilePath: join(models, 'tenfold.api.json') },
    messages: { extractorMessageReporting: { default: { logLevel: ExtractorLogLevel.None } }, tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } } },
  },
});
if (!Extractor.invoke(config, { localBuild: true }).succeeded) throw new Error('API Extractor failed');
rmSync(entry);
rmSync(out, { recursive: true, force: true });
const documenter = join(root, 'node_modules', '@microsoft', 'api-documenter', 'bin', 'api-documenter');
execFileSync(process.execPath, [documenter, 'markdown', '-i', models, '-o', out], { cwd: root, stdio: 'inherit' });
process.stdout.write(`API reference in ${out}\n`);
