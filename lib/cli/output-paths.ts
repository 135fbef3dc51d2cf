/**
 * Output paths checked before any training: directories created one component at a time, the target probed
 * with a one-byte write, and anything unusable refused at once with a UsageError that names the flag, the path
 * and why — instead of failing after a whole run, or spinning forever in `mkdirSync(…, { recursive: true })`
 * as Node 20 does under /proc and /sys.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { dirname, join, parse, resolve, sep } from 'node:path';
import { UsageError } from './args.ts';

/**
 * Pseudo file systems by statfs magic number (linux/magic.h): kernel interfaces, not places for files.
 * Creating or writing there fails oddly, blocks, or changes kernel state, so paths on them are refused by name.
 */
export const pseudoFileSystems: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x1cd1, 'devpts'],
  [0x62656570, 'configfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x65735543, 'fusectl'],
  [0xf97cff8c, 'selinuxfs'],
  [0x43415d53, 'smackfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x19800202, 'mqueue'],
  [0x6e736673, 'nsfs'],
]);

/** The file-system operations the checks perform; tests replace some of them to simulate faults. */
export interface OutputPathOps {
  /** The statfs magic number of the file system holding p, or undefined where statfs is unavailable. */
  readonly fsType: (p: string) => number | undefined;
  /** Creates one directory, not recursively. */
  readonly mkdir: (p: string) => void;
  /** Creates file exclusively, writes a byte, fsyncs and closes it; on failure leaves no file behind. */
  readonly writeProbe: (file: string) => void;
  /** Removes a file. */
  readonly unlink: (file: string) => void;
}

/** The real operations. */
export const defaultOutputPathOps: OutputPathOps = {
  // Where statfs fails, the type is unknown: the mkdir and the probe still catch what is unusable.
  fsType: (p) => { try { return fs.statfsSync(p).type; } catch { return undefined; } },
  mkdir: (p) => { fs.mkdirSync(p); },
  writeProbe: (file) => {
    const fd = fs.openSync(file, 'wx');
    try {
      fs.writeSync(fd, Buffer.from([0x2a]));
      // fsync so a full disk or quota shows now: many file systems accept the write and fail only on flush.
      fs.fsyncSync(fd);
    } catch (err) {
      fs.closeSync(fd);
      try { fs.unlinkSync(file); } catch { /* nothing more to do: report the write error */ }
      throw err;
    }
    fs.closeSync(fd);
  },
  unlink: (file) => { fs.unlinkSync(file); },
};

const reasons: Readonly<Record<string, string>> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a component is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'name too long',
  EIO: 'input/output error',
  EINVAL: 'invalid argument',
  EMLINK: 'too many links',
  EXDEV: 'cross-device link',
  EBUSY: 'device or resource busy',
};

/** Why an fs call failed, in words, with the code: "read-only file system (EROFS)". */
const reason = (err: unknown): string => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return `${reasons[code] ?? (err as Error).message} (${code})`;
  return err instanceof Error ? err.message : String(err);
};

/** What a stat says p is, with an article: "a regular file". */
const kindOf = (st: fs.Stats): string =>
  st.isFile() ? 'a regular file'
    : st.isDirectory() ? 'a directory'
      : st.isFIFO() ? 'a named pipe (FIFO)'
        : st.isSocket() ? 'a socket'
          : st.isCharacterDevice() ? 'a character device'
            : st.isBlockDevice() ? 'a block device'
              : 'a special file';

/** The checks of one flag's path: every refusal goes through `refuse`, so each message starts "--flag path:". */
class Check {
  readonly abs: string;
  readonly ops: OutputPathOps;
  private readonly label: string;

  constructor(flag: string, path: string, ops: Partial<OutputPathOps> | undefined) {
    this.label = `${flag.startsWith('-') ? flag : `--${flag}`} ${path}`;
    this.ops = { ...defaultOutputPathOps, ...ops };
    if (path === '') throw this.refuse('the path is empty');
    if (path.includes('\0')) throw this.refuse('the path contains a NUL byte');
    this.abs = resolve(path);
  }

  refuse(why: string): UsageError { return new UsageError(`${this.label}: ${why}`); }

  /** "" for the path the user gave (the message already names it), otherwise "p ". */
  who(p: string): string { return p === this.abs ? '' : `${p} `; }

  /** p's stat, following symlinks, or undefined if p does not exist; a dangling symlink is refused. */
  look(p: string): fs.Stats | undefined {
    try {
      const st = fs.statSync(p, { throwIfNoEntry: false });
      if (st !== undefined) return st;
      const link = fs.lstatSync(p, { throwIfNoEntry: false });
      if (link?.isSymbolicLink()) throw this.refuse(`${this.who(p)}is a broken symbolic link (to ${fs.readlinkSync(p)})`);
      return undefined;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw this.refuse(`cannot look at ${p}: ${reason(err)}`);
    }
  }

  /** The refusal of p, which exists and is not a directory; says what it is, and through which symlink. */
  notADirectory(p: string, st: fs.Stats): UsageError {
    const viaLink = fs.lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() === true;
    return this.refuse(`${this.who(p)}is ${viaLink ? 'a symbolic link to ' : ''}${kindOf(st)}, not a directory`);
  }

  /** Refuses p if it lies on a pseudo file system; checked before any mkdir or write there. */
  refusePseudo(p: string): void {
    const type = this.ops.fsType(p);
    // f_type is a C long: compare as unsigned 32 bits so 0xcafe4a11 matches whatever sign it comes back with.
    const name = type === undefined ? undefined : pseudoFileSystems.get(type >>> 0);
    if (name !== undefined) throw this.refuse(`${this.who(p)}is a ${name} file system (pseudo file system), not a place for files`);
  }

  /** Makes dir a directory, walking from the root and creating missing components one at a time. */
  ensureDir(dir: string): void {
    const { root } = parse(dir);
    let p = root;
    for (const part of dir.slice(root.length).split(sep).filter((s) => s !== '')) {
      const parent = p;
      p = join(parent, part);
      const st = this.look(p);
      if (st !== undefined) {
        if (!st.isDirectory()) throw this.notADirectory(p, st);
        continue;
      }
      // The nearest existing ancestor decides where the new directory would live: refuse kernel interfaces by name.
      this.refusePseudo(parent);
      try {
        this.ops.mkdir(p);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          // Someone else created it meanwhile: fine if it is a directory now.
          const now = this.look(p);
          if (now?.isDirectory()) continue;
          if (now !== undefined) throw this.notADirectory(p, now);
        }
        throw this.refuse(p === this.abs ? `cannot write there: ${reason(err)}` : `cannot create ${p}: ${reason(err)}`);
      }
    }
  }

  /** Writes and removes a small file in dir, so read-only, permission, full-disk and quota problems show now. */
  probe(dir: string): void {
    // An existing directory on a pseudo file system too: a write there could block or reach the kernel.
    this.refusePseudo(dir);
    const file = join(dir, `.tenfold-probe-${process.pid}-${randomBytes(6).toString('hex')}`);
    const where = dir === this.abs ? 'there' : `in ${dir}`;
    try { this.ops.writeProbe(file); } catch (err) { throw this.refuse(`cannot write ${where}: ${reason(err)}`); }
    try { this.ops.unlink(file); } catch (err) { throw this.refuse(`cannot remove the probe file ${file}: ${reason(err)}`); }
  }
}

/**
 * The directory a run writes into (`--out`): created if missing, probed with a small write, and returned as
 * an absolute path. Throws a UsageError naming flag, path and reason if it cannot be used; never hangs on
 * pseudo file systems. `ops` replaces file-system operations, for tests.
 */
export const prepareOutputDir = (flag: string, path: string, ops?: Partial<OutputPathOps>): string => {
  const c = new Check(flag, path, ops);
  c.ensureDir(c.abs);
  c.probe(c.abs);
  return c.abs;
};

/**
 * A file a run writes later (`--report`, `--predictions`): its parent directory created if missing and probed;
 * refused if the path is a directory or anything but a regular file; an existing regular file is kept as it is
 * (the run replaces it). Returns the absolute path; throws a UsageError as prepareOutputDir does.
 */
export const prepareOutputFile = (flag: string, path: string, ops?: Partial<OutputPathOps>): string => {
  const c = new Check(flag, path, ops);
  // "out/" names a directory: resolve() would drop the slash and make it a file name.
  if (/[\\/]$/.test(path)) throw c.refuse('ends with a slash, so names a directory, not a file');
  const dir = dirname(c.abs);
  if (dir === c.abs) throw c.refuse('is the root directory, not a file');
  c.ensureDir(dir);
  c.refusePseudo(dir);
  const st = c.look(c.abs);
  if (st?.isDirectory()) throw c.refuse('is a directory, not a file');
  // A FIFO or device would block or swallow the run's output when it is finally written.
  if (st !== undefined && !st.isFile()) throw c.refuse(`is ${kindOf(st)}, not a regular file`);
  c.probe(dir);
  return c.abs;
};
