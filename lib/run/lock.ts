/**
 * An exclusive claim on a run directory, so that two processes never train into the same
 * checkpoints (each would overwrite the other's "latest" and waste its work). The claim is a file
 * holding the owner's pid, created with O_EXCL; a claim whose process has gone (killed, crashed)
 * is stale and taken over.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Name of the claim file inside a run directory. */
export const LOCK_FILE = 'run.lock';

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid a claim file names, or undefined when it names none (a stray or truncated file). */
const holderOf = (path: string): number | undefined => {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Claims `dir` (created if missing) for this process until it exits or the returned release is
 * called. Throws, naming the directory and the holder's pid, while another live process holds it.
 */
export const claimDirectory = (dir: string): (() => void) => {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = holderOf(path);
      if (holder !== undefined && isAlive(holder)) {
        throw new Error(`${dir} is in use by process ${holder} (${path}): wait for it, stop it, or use another --out; ` +
          'if no such run is going, delete the file');
      }
      unlinkSync(path); // stale: its process has gone
    }
  }
  const release = (): void => {
    process.off('exit', release);
    if (holderOf(path) === process.pid) unlinkSync(path);
  };
  process.on('exit', release);
  return release;
};
