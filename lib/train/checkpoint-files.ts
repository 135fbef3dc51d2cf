/**
 * Crash-safe file steps for checkpoints: stage bytes in a temporary file (written and
 * fsynced), then rename it into place and fsync the directory so the rename is durable.
 * Hand-written rather than `write-file-atomic` because a checkpoint needs the two halves
 * apart (stage several files, then commit) and a directory fsync, which that package lacks.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** A file written under a temporary name, not yet in place. */
export interface Staged {
  readonly temp: string;
  readonly target: string;
}

/** Temporary names carry this marker so a later save can sweep the leftovers of a crash. */
export const TEMP_MARKER = '.tmp-';

/** A write that failed, naming the file it was for (ENOSPC and the like say nothing of it). */
export class WriteError extends Error {
  constructor(readonly file: string, readonly code: string | undefined, cause: Error) {
    super(`cannot write ${file}: ${cause.message}`);
    this.name = 'WriteError';
  }
}

/**
 * Writes bytes to a fresh temporary file next to `target` and fsyncs it; `target` is untouched.
 * On failure (a full disk) the temporary file is removed and the error names `target`.
 */
export const stage = (target: string, bytes: Uint8Array): Staged => {
  const temp = `${target}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fd = openSync(temp, 'wx');
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    rmSync(temp, { force: true });
    throw new WriteError(target, (err as NodeJS.ErrnoException).code, err as Error);
  }
  return { temp, target };
};

/** Fsyncs a directory so renames and removals in it survive a power cut (a no-op where unsupported). */
export const syncDir = (dir: string): void => {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
};

/** Renames staged files into place, in the order given, then fsyncs their directory. */
export const commit = (dir: string, staged: readonly Staged[]): void => {
  for (const s of staged) renameSync(s.temp, s.target);
  syncDir(dir);
};

/** Removes a staged file that will not be committed (after a failure). */
export const discard = (s: Staged): void => rmSync(s.temp, { force: true });

/** Atomically replaces `target` with `bytes`: stage, then commit. */
export const writeAtomic = (dir: string, name: string, bytes: Uint8Array): void =>
  commit(dir, [stage(join(dir, name), bytes)]);

/** Removes the files in `dir` that `isGarbage` picks; returns their names. */
export const sweep = (dir: string, isGarbage: (name: string) => boolean): readonly string[] => {
  const gone = readdirSync(dir).filter(isGarbage);
  for (const name of gone) rmSync(join(dir, name), { force: true });
  if (gone.length > 0) syncDir(dir);
  return gone;
};
