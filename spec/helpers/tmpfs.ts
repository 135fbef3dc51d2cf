/** Small tmpfs mounts for specs of read-only and full disks, where the machine lets us mount (root on Linux). */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A mounted tmpfs: its directory, and how to unmount it (safe to call twice). */
export interface Tmpfs {
  readonly dir: string;
  readonly unmount: () => void;
}

/** How to mount. */
export interface TmpfsOptions {
  /** Size in KiB; default 1024. */
  readonly sizeKiB?: number;
  /** Mount it read-only. */
  readonly readOnly?: boolean;
}

// mount(8) could wait on a lock or a helper; never let a spec hang on it.
const run = (cmd: string, args: readonly string[]): boolean =>
  spawnSync(cmd, [...args], { stdio: 'ignore', timeout: 5000, killSignal: 'SIGKILL' }).status === 0;

/**
 * Mounts a fresh tmpfs of sizeKiB (read-only if asked) on a new directory under the temp dir, or returns
 * undefined where mounting is not allowed: not Linux, not root, no mount(8), or TENFOLD_NO_MOUNT=1 (to
 * exercise a spec's fallback).
 */
export const mountTmpfs = (options: TmpfsOptions = {}): Tmpfs | undefined => {
  const { sizeKiB = 1024, readOnly = false } = options;
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || process.env.TENFOLD_NO_MOUNT === '1') return undefined;
  const dir = fs.mkdtempSync(join(tmpdir(), 'tenfold-tmpfs-'));
  let mounted = run('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tenfold-spec', dir]);
  // Remount read-only where the kernel allows; otherwise try mounting read-only from the start.
  if (mounted && readOnly && !run('mount', ['-o', 'remount,ro', dir])) {
    run('umount', [dir]);
    mounted = run('mount', ['-t', 'tmpfs', '-o', `ro,size=${sizeKiB}k`, 'tenfold-spec', dir]);
  }
  let done = false;
  const unmount = () => {
    if (done) return;
    done = true;
    // A lazy unmount as fallback, so a busy mount cannot leave the directory behind for ever.
    if (mounted && !run('umount', [dir])) run('umount', ['-l', dir]);
    try { fs.rmdirSync(dir); } catch { /* still mounted or not empty: leave it rather than fail the spec */ }
  };
  if (!mounted) { unmount(); return undefined; }
  return { dir, unmount };
};

/** Fills the small file system holding dir by writing one file until ENOSPC; returns that file's path. */
export const fillUp = (dir: string, maxBytes = 64 << 20): string => {
  const file = join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    // Bounded, so a mistake (a real disk instead of a small tmpfs) fails instead of filling the machine.
    for (let n = 0; n < maxBytes; n += block.length) fs.writeSync(fd, block);
    throw new Error(`fillUp: ${dir} took ${maxBytes} bytes without filling up; is it a small tmpfs?`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return file;
};
