/**
 * The code blocks of docs/getting-started.md and the README's example run verbatim, as a user of
 * the built package would run them (`from 'tenfold'` resolves to dist/ by the package's own name),
 * on the first 2,000 training images (TENFOLD_EXAMPLE_IMAGES, the documented option).
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// absolute: a bare --import specifier resolves from the working directory, a scratch one here
const tsx = import.meta.resolve('tsx');

/** The ```ts blocks of a Markdown file. */
export const tsBlocks = (markdown: string): string[] => [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

describe('documented examples run as written', function () {
  this.timeout(180_000);
  // inside the repo, so that `import … from 'tenfold'` finds this package; run from a scratch directory
  const files = join(root, '.tmp', 'docs-examples');
  const cwd = mkdtempSync(join(tmpdir(), 'tenfold-examples-'));
  before(() => {
    execFileSync('npm', ['run', 'build:dist'], { cwd: root, stdio: 'ignore' });
    mkdirSync(files, { recursive: true });
  });
  after(() => rmSync(cwd, { recursive: true, force: true }));

  const run = (name: string, code: string): string => {
    const file = join(files, `${name}.ts`);
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, ['--import', tsx, file], { cwd, encoding: 'utf8', env: { ...process.env, TENFOLD_EXAMPLE_IMAGES: '2000' }, timeout: 150_000 });
    expect(r.status, `${name}:\n${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const guide = tsBlocks(readFileSync(join(root, 'docs', 'getting-started.md'), 'utf8'));

  it('getting-started has its three examples', () => expect(guide).to.have.length(3));
  it('1. the MLP learns', () => {
    const accuracies = [...run('mlp', guide[0]).matchAll(/test accuracy ([\d.]+)%/g)].map((m) => Number(m[1]));
    expect(accuracies).to.have.length(3);
    expect(accuracies[2]).to.be.above(80);
  });
  it('2. the ConvNet trains with augmentation, a schedule and checkpoints, and a second run resumes', () => {
    const first = run('convnet', guide[1]);
    expect(Number(/test ([\d.]+)%/.exec(first)?.[1])).to.be.above(80);
    // a second run finds the checkpoint of the last epoch: nothing left to train, the same figures
    expect(run('convnet', guide[1])).to.equal(first);
  });
  it('3. the ensemble trains on worker threads and beats chance by far', () => {
    const out = run('ensemble', guide[2]);
    expect(out.match(/member \d: test/g)).to.have.length(3);
    expect(Number(/ensemble ([\d.]+)%/.exec(out)?.[1])).to.be.above(85);
  });
  it('the README example runs', () => {
    const [example] = tsBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(run('readme', example)).to.match(/test accuracy 0\.\d+/);
  });
});
