import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { prepareOutputDir, prepareOutputFile, type OutputPathOps } from '../lib/cli/output-paths.ts';
import { UsageError } from '../lib/cli/args.ts';
import { runChild } from './helpers/child.ts';
import { fillUp, mountTmpfs, type Tmpfs } from './helpers/tmpfs.ts';

const moduleUrl = new URL('../lib/cli/output-paths.ts', import.meta.url).href;

// Calls prepareOutputDir/File in a child that prints {result} or {name, message}, and the call's own time.
const driver = `
const m = await import(${JSON.stringify(moduleUrl)});
const [kind, flag, path] = process.argv.slice(1);
const t0 = performance.now();
let out;
try { out = { result: (kind === 'dir' ? m.prepareOutputDir : m.prepareOutputFile)(flag, path) }; }
catch (e) { out = { name: e.name, message: e.message }; }
out.callMs = performance.now() - t0;
process.stdout.write(JSON.stringify(out));
`;

interface Outcome { readonly result?: string; readonly name?: string; readonly message?: string; readonly callMs: number }

/** Runs one check in a child killed after 10 s; fails if it hung or took long. */
const check = async (kind: 'dir' | 'file', flag: string, path: string, opts: { cwd?: string; uid?: number; gid?: number } = {}): Promise<Outcome> => {
  const r = await runChild(['--input-type=module', '-e', driver, kind, flag, path], { timeoutMs: 10_000, ...opts });
  expect(r.timedOut, `${kind} --${flag} ${path} hung (killed after 10 s)`).to.equal(false);
  expect(r.status, r.stderr).to.equal(0);
  // Generous bound on the child's whole run (node + tsx start-up included); the call itself must be well under 1 s.
  expect(r.ms, 'child wall time').to.be.below(5000);
  const out = JSON.parse(r.stdout) as Outcome;
  expect(out.callMs, 'time of the check itself').to.be.below(1000);
  return out;
};

/** Expects a UsageError whose message starts with the flag and path as given, then says why. */
const expectRefusal = (out: Outcome, flag: string, path: string, why: RegExp | string): void => {
  expect(out.name, JSON.stringify(out)).to.equal('UsageError');
  expect(out.message?.startsWith(`--${flag} ${path}: `), out.message).to.equal(true);
  if (typeof why === 'string') expect(out.message).to.equal(`--${flag} ${path}: ${why}`);
  else expect(out.message).to.match(why);
};

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: simulated`), { code });

/** What fn throws, which must be a UsageError. */
const refusalOf = (fn: () => unknown): string => {
  try { fn(); } catch (err) { expect(err).to.be.instanceOf(UsageError); return (err as Error).message; }
  expect.fail('expected a UsageError');
};

const probesIn = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.startsWith('.tenfold-probe-'));

describe('output paths: pseudo file systems are refused at once, never spun on', () => {
  it('(the defect) mkdirSync(/proc/x/y, { recursive: true }) spins in Node 20, and runChild kills it', async () => {
    const r = await runChild(['-e', "require('fs').mkdirSync('/proc/x/y', { recursive: true })"], { timeoutMs: 1000 });
    // Where Node has fixed this it fails fast with ENOENT instead; either way runChild returns.
    if (r.timedOut) expect(r.signal).to.equal('SIGKILL');
    else expect(r.stderr).to.match(/ENOENT|EACCES|EPERM/);
    expect(r.ms).to.be.below(4000);
  });

  it('--out /proc/x (a directory under procfs)', async () => {
    expectRefusal(await check('dir', 'out', '/proc/x'), 'out', '/proc/x', '/proc is a proc file system (pseudo file system), not a place for files');
    expect(fs.existsSync('/proc/x')).to.equal(false);
  });

  it('--report /proc/x/r.html (a file under procfs)', async () => {
    expectRefusal(await check('file', 'report', '/proc/x/r.html'), 'report', '/proc/x/r.html', '/proc is a proc file system (pseudo file system), not a place for files');
  });

  it('--out /sys/x (sysfs)', async () => {
    expectRefusal(await check('dir', 'out', '/sys/x'), 'out', '/sys/x', '/sys is a sysfs file system (pseudo file system), not a place for files');
  });

  it('--out /proc and --out /sys/kernel: existing directories on pseudo file systems, refused before any probe write', async () => {
    expectRefusal(await check('dir', 'out', '/proc'), 'out', '/proc', 'is a proc file system (pseudo file system), not a place for files');
    expectRefusal(await check('dir', 'out', '/sys/kernel'), 'out', '/sys/kernel', 'is a sysfs file system (pseudo file system), not a place for files');
  });

  it('an existing file on a pseudo file system (--predictions /proc/cpuinfo) is refused, not probed', async () => {
    expectRefusal(await check('file', 'predictions', '/proc/cpuinfo'), 'predictions', '/proc/cpuinfo', '/proc is a proc file system (pseudo file system), not a place for files');
  });

  it('a pseudo file system is recognised whatever sign its statfs magic has (bpf 0xcafe4a11)', () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'tenfold-out-'));
    try {
      const msg = refusalOf(() => prepareOutputDir('out', join(dir, 'x'), { fsType: () => 0xcafe4a11 | 0 }));
      expect(msg).to.equal(`--out ${join(dir, 'x')}: ${dir} is a bpf file system (pseudo file system), not a place for files`);
      expect(fs.existsSync(join(dir, 'x'))).to.equal(false);
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('output paths: what is not a directory, or not a file', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'tenfold-out-'));
    fs.writeFileSync(join(dir, 'file'), 'keep me');
    fs.mkdirSync(join(dir, 'subdir'));
    fs.symlinkSync(join(dir, 'file'), join(dir, 'link-to-file'));
    fs.symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--report /etc/passwd/r.html: a path under a regular file', async () => {
    expectRefusal(await check('file', 'report', '/etc/passwd/r.html'), 'report', '/etc/passwd/r.html', '/etc/passwd is a regular file, not a directory');
  });

  it('--out ./file/nested: a directory under a regular file', async () => {
    expectRefusal(await check('dir', 'out', './file/nested', { cwd: dir }), 'out', './file/nested', `${join(dir, 'file')} is a regular file, not a directory`);
  });

  it('--out ./file: an existing regular file is not an output directory, and is left alone', async () => {
    expectRefusal(await check('dir', 'out', './file', { cwd: dir }), 'out', './file', 'is a regular file, not a directory');
    expect(fs.readFileSync(join(dir, 'file'), 'utf8')).to.equal('keep me');
  });

  it('--out through a symlink to a regular file says it is a symlink', async () => {
    const p = join(dir, 'link-to-file');
    expectRefusal(await check('dir', 'out', p), 'out', p, 'is a symbolic link to a regular file, not a directory');
  });

  it('--out through a dangling symlink', async () => {
    const p = join(dir, 'dangling', 'x');
    expectRefusal(await check('dir', 'out', p), 'out', p, `${join(dir, 'dangling')} is a broken symbolic link (to ${join(dir, 'nowhere')})`);
  });

  it('--report <existing directory>', async () => {
    const p = join(dir, 'subdir');
    expectRefusal(await check('file', 'report', p), 'report', p, 'is a directory, not a file');
    expectRefusal(await check('file', 'report', `${p}/`), 'report', `${p}/`, 'ends with a slash, so names a directory, not a file');
  });

  it('--predictions <a FIFO>: refused, since writing it later would block', async () => {
    const p = join(dir, 'fifo');
    expectRefusal(await check('file', 'predictions', p), 'predictions', p, 'is a named pipe (FIFO), not a regular file');
  });

  it('an empty path', async () => {
    expectRefusal(await check('dir', 'out', ''), 'out', '', 'the path is empty');
  });
});

describe('output paths: read-only file systems', () => {
  let ro: Tmpfs | undefined;
  before(() => { ro = mountTmpfs({ sizeKiB: 64, readOnly: true }); });
  after(() => ro?.unmount());

  it('--out <read-only mount>/x and --out <read-only mount> (a real read-only tmpfs, where mounting is allowed)', async function () {
    if (ro === undefined) this.skip();
    const missing = join(ro.dir, 'x');
    expectRefusal(await check('dir', 'out', missing), 'out', missing, 'cannot write there: read-only file system (EROFS)');
    expectRefusal(await check('dir', 'out', ro.dir), 'out', ro.dir, 'cannot write there: read-only file system (EROFS)');
    const report = join(ro.dir, 'r.html');
    expectRefusal(await check('file', 'report', report), 'report', report, `cannot write in ${ro.dir}: read-only file system (EROFS)`);
  });

  it('EROFS from mkdir and from the probe write (simulated, so it runs everywhere)', () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'tenfold-out-'));
    try {
      const erofs = () => { throw errno('EROFS'); };
      expect(refusalOf(() => prepareOutputDir('out', join(dir, 'a', 'b'), { mkdir: erofs })))
        .to.equal(`--out ${join(dir, 'a', 'b')}: cannot create ${join(dir, 'a')}: read-only file system (EROFS)`);
      expect(refusalOf(() => prepareOutputDir('out', join(dir, 'a'), { mkdir: erofs })))
        .to.equal(`--out ${join(dir, 'a')}: cannot write there: read-only file system (EROFS)`);
      expect(refusalOf(() => prepareOutputDir('--out', dir, { writeProbe: erofs })))
        .to.equal(`--out ${dir}: cannot write there: read-only file system (EROFS)`);
      expect(refusalOf(() => prepareOutputFile('report', join(dir, 'r.html'), { writeProbe: erofs })))
        .to.equal(`--report ${join(dir, 'r.html')}: cannot write in ${dir}: read-only file system (EROFS)`);
      expect(fs.readdirSync(dir)).to.deep.equal([]);
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('output paths: full disks and quotas', () => {
  let full: Tmpfs | undefined;
  before(() => {
    full = mountTmpfs({ sizeKiB: 64 });
    if (full !== undefined) fillUp(full.dir);
  });
  after(() => full?.unmount());

  it('--out <full tmpfs>: the probe write fails with ENOSPC and leaves no probe file (a real full tmpfs, where mounting is allowed)', async function () {
    if (full === undefined) this.skip();
    expectRefusal(await check('dir', 'out', full.dir), 'out', full.dir, 'cannot write there: no space left on device (ENOSPC)');
    const report = join(full.dir, 'sub', 'r.html');
    expectRefusal(await check('file', 'report', report), 'report', report, `cannot write in ${join(full.dir, 'sub')}: no space left on device (ENOSPC)`);
    expect(probesIn(full.dir)).to.deep.equal([]);
    expect(probesIn(join(full.dir, 'sub'))).to.deep.equal([]);
  });

  it('ENOSPC, EDQUOT, EACCES and EPERM from the probe write (simulated, so it runs everywhere)', () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'tenfold-out-'));
    try {
      for (const [code, why] of [['ENOSPC', 'no space left on device'], ['EDQUOT', 'disk quota exceeded'], ['EACCES', 'permission denied'], ['EPERM', 'permission denied']]) {
        expect(refusalOf(() => prepareOutputDir('out', dir, { writeProbe: () => { throw errno(code); } })))
          .to.equal(`--out ${dir}: cannot write there: ${why} (${code})`);
      }
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('output paths: permission denied', () => {
  let dir: string;
  before(() => {
    // World-readable but root-owned: another user may enter it but not write in it.
    dir = fs.mkdtempSync(join(tmpdir(), 'tenfold-out-'));
    fs.chmodSync(dir, 0o755);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('as another user (nobody), where we are root: mkdir and the probe are refused with EACCES', async function () {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) this.skip();
    const opts = { uid: 65534, gid: 65534, cwd: tmpdir() };
    expectRefusal(await check('dir', 'out', join(dir, 'x'), opts), 'out', join(dir, 'x'), 'cannot write there: permission denied (EACCES)');
    expectRefusal(await check('dir', 'out', dir, opts), 'out', dir, 'cannot write there: permission denied (EACCES)');
  });

  it('EACCES from mkdir (simulated)', () => {
    expect(refusalOf(() => prepareOutputDir('out', join(dir, 'y'), { mkdir: () => { throw errno('EACCES'); } })))
      .to.equal(`--out ${join(dir, 'y')}: cannot write there: permission denied (EACCES)`);
  });
});

describe('output paths: what passes', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(join(tmpdir(), 'tenfold-out-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a missing nested --out directory is created and returned as an absolute path', async () => {
    const out = await check('dir', 'out', 'a/b/c', { cwd: dir });
    expect(out.result).to.equal(join(dir, 'a', 'b', 'c'));
    expect(fs.statSync(join(dir, 'a', 'b', 'c')).isDirectory()).to.equal(true);
    expect(probesIn(join(dir, 'a', 'b', 'c'))).to.deep.equal([]);
  });

  it('a --report in missing directories: the directories are created, the file is not', async () => {
    const p = join(dir, 'd', 'e', 'r.html');
    expect((await check('file', 'report', p)).result).to.equal(p);
    expect(fs.readdirSync(join(dir, 'd', 'e'))).to.deep.equal([]);
  });

  it('an existing writable directory passes, and the probe leaves nothing behind', async () => {
    fs.writeFileSync(join(dir, 'old'), 'x');
    expect((await check('dir', 'out', dir)).result).to.equal(dir);
    expect(fs.readdirSync(dir)).to.deep.equal(['old']);
  });

  it('an existing regular file as --report passes and is not truncated', async () => {
    const p = join(dir, 'r.html');
    fs.writeFileSync(p, '<html>old</html>');
    expect((await check('file', 'report', relative(process.cwd(), p))).result).to.equal(p);
    expect(fs.readFileSync(p, 'utf8')).to.equal('<html>old</html>');
    expect(fs.readdirSync(dir)).to.deep.equal(['r.html']);
  });

  it('a directory created meanwhile by someone else (EEXIST from mkdir) is fine', () => {
    const p = join(dir, 'raced');
    const mkdir = (q: string) => { fs.mkdirSync(q); throw errno('EEXIST'); };
    expect(prepareOutputDir('out', p, { mkdir })).to.equal(p);
  });

  it('a failed probe removal is reported, not ignored', () => {
    const ops: Partial<OutputPathOps> = { unlink: () => { throw errno('EPERM'); }, writeProbe: () => {} };
    expect(refusalOf(() => prepareOutputDir('out', dir, ops))).to.match(new RegExp(`^--out ${dir}: cannot remove the probe file ${dir}/\\.tenfold-probe-\\d+-[0-9a-f]+: permission denied \\(EPERM\\)$`));
  });
});
