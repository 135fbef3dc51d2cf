/**
 * An exclusive claim on a run directory, so that two processes never train into the same
 * checkpoints (each would overwrite the other's "latest" and waste its work).
 *
 * The claim file `run.lock` holds JSON `{ pid, host, token, startedAt }`, plus `expiresAt` for a
 * lease (a claim that its holder renews while it works). It is written in full to
 * a temporary file first and then hard-linked into place: link fails if the name exists, and a
 * reader never sees a half-written claim. A claim is stale when its pid (on this host) has gone,
 * when its lease has expired (a lease is how a claim from another host can ever be stale: its pid
 * cannot be checked from here), or when the file is not a claim at all; only the holder of the short-lived `run.lock.takeover`
 * may remove a stale claim, and only after re-checking (same inode, same content) that it is still
 * the one it judged stale, so two takers can never remove each other's fresh claim.
 */
import {
  closeSync, fstatSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Name of the claim file inside a run directory. */
export const LOCK_FILE = 'run.lock';
/** Name of the secondary lock that serializes removing a stale claim. */
export const TAKEOVER_FILE = `${LOCK_FILE}.takeover`;

/** What a claim file says. `token` is absent in an old plain-pid file; `expiresAt` only in a lease. */
export interface Claim {
  readonly pid: number; readonly host: string; readonly token?: string; readonly startedAt?: string; readonly expiresAt?: string;
}

/** Options of `claimDirectory`. */
export interface ClaimOptions {
  /**
   * Make the claim a lease of this many ms: it records `expiresAt`, `renew()` extends it, and once
   * it has expired anyone may take the directory over (from any host; hosts' clocks must agree to
   * well within the lease).
   */
  readonly leaseMs?: number;
  /** The host name the claim presents and judges pids by (default `os.hostname()`): for specs of several hosts. */
  readonly host?: string;
}

/** A held claim: call it (or `release`) to give it up; `renew` extends a lease. */
export interface DirectoryClaim {
  (): void;
  /** Gives up the claim (the same as calling it); a claim no longer ours is left alone. */
  readonly release: () => void;
  /**
   * Extends the lease to `leaseMs` from now (without a lease: only checks). False when the claim
   * is no longer ours (it expired and another process took the directory over): stop writing there.
   */
  readonly renew: () => boolean;
}

/** A takeover lock of a dead process is removed only when older than this: it is held for microseconds. */
const DEAD_TAKEOVER_MS = 2_000;
/** How long a claim waits for other takers before giving up. */
const GIVE_UP_MS = 5_000;
const POLL_MS = 2;

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;
const fsError = (what: string, path: string, e: unknown): Error =>
  new Error(`could not ${what} ${path}: ${(e as Error).message}`, { cause: e });
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => { Atomics.wait(sleeper, 0, 0, ms); };

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return code(e) === 'EPERM';
  }
};

/** The claim in a file's text; an old file's bare pid counts as a claim from this host. */
const parseClaim = (text: string, host: string = hostname()): Claim | undefined => {
  if (/^\s*[1-9]\d{0,9}\s*$/.test(text)) return { pid: Number(text), host };
  try {
    const c = JSON.parse(text) as Partial<Record<keyof Claim, unknown>> | null;
    if (c !== null && typeof c === 'object' && Number.isSafeInteger(c.pid) && (c.pid as number) > 0
      && typeof c.host === 'string' && (c.token === undefined || typeof c.token === 'string')) {
      return {
        pid: c.pid as number, host: c.host, token: c.token, startedAt: typeof c.startedAt === 'string' ? c.startedAt : undefined,
        expiresAt: typeof c.expiresAt === 'string' ? c.expiresAt : undefined,
      };
    }
  } catch { /* not JSON: not a claim */ }
  return undefined;
};

/** A lease past its expiry; an unreadable expiry counts as expired (a lease nobody can renew sensibly). */
const expired = (c: Claim): boolean => c.expiresAt !== undefined && !(Date.now() <= Date.parse(c.expiresAt));

/**
 * Garbage, an expired lease, or a dead pid of this host; another host's pid cannot be checked
 * from here, so without a lease its claim is live.
 */
const isStale = (c: Claim | undefined, host: string = hostname()): boolean =>
  c === undefined || expired(c) || (c.host === host && !isAlive(c.pid));

/** One look at a file: inode and content read through the same descriptor; undefined if it is gone. */
interface Seen { readonly ino: bigint; readonly mtimeMs: number; readonly text: string }
const look = (path: string): Seen | undefined => {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (code(e) === 'ENOENT') return undefined; // released or removed meanwhile
    throw fsError('open', path, e);
  }
  try {
    const s = fstatSync(fd, { bigint: true });
    return { ino: s.ino, mtimeMs: Number(s.mtimeMs), text: readFileSync(fd, 'utf8') };
  } catch (e) {
    throw fsError('read', path, e);
  } finally {
    closeSync(fd);
  }
};
const same = (a: Seen | undefined, b: Seen): boolean => a !== undefined && a.ino === b.ino && a.text === b.text;

const removeIfThere = (path: string): void => {
  try {
    unlinkSync(path);
  } catch (e) {
    if (code(e) !== 'ENOENT') throw fsError('remove', path, e);
  }
};

/** Puts `text` at `path` unless something is there already; the content is durable before the name appears. */
const createExclusive = (path: string, text: string): boolean => {
  const temp = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  try {
    const fd = openSync(temp, 'wx');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    removeIfThere(temp);
    throw fsError('write', temp, e);
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    throw fsError('create', path, e);
  } finally {
    removeIfThere(temp);
  }
};

type OwnClaim = Claim & { readonly token: string };
const newClaim = (host: string = hostname(), leaseMs?: number): OwnClaim => ({
  pid: process.pid, host, token: randomBytes(16).toString('hex'), startedAt: new Date().toISOString(),
  ...(leaseMs === undefined ? {} : { expiresAt: new Date(Date.now() + leaseMs).toISOString() }),
});
const serialize = (c: Claim): string => `${JSON.stringify(c)}\n`;
const whose = (c: Claim | undefined): string => (c === undefined ? 'no claim' : `process ${c.pid} on ${c.host}`);

/** Removes `path` if it still holds the claim with `token` (nobody else may remove a live claim). */
const releaseOwn = (path: string, token: string): void => {
  const seen = look(path);
  if (seen !== undefined && parseClaim(seen.text)?.token === token) removeIfThere(path);
};

/** Runs `f` holding the takeover lock of `dir`, waiting (bounded) for another taker to finish. */
const withTakeover = <T>(dir: string, deadline: number, f: () => T, host: string = hostname()): T => {
  const path = join(dir, TAKEOVER_FILE);
  const mine = newClaim(host);
  while (!createExclusive(path, serialize(mine))) {
    const seen = look(path);
    if (seen === undefined) continue;
    const holder = parseClaim(seen.text, host);
    // A dead taker's lock: old enough that it cannot be a fresh one, and re-checked just before removal.
    if (isStale(holder, host) && Date.now() - seen.mtimeMs > DEAD_TAKEOVER_MS) {
      if (same(look(path), seen)) removeIfThere(path);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`${dir}: gave up waiting for ${path} (held by ${whose(holder)}) to take over a stale claim; ` +
        'if no such process is running, delete the file');
    }
    sleep(POLL_MS);
  }
  try {
    return f();
  } finally {
    releaseOwn(path, mine.token);
  }
};

/**
 * Claims `dir` (which must exist) for this process until it exits or the returned release is
 * called. Throws, naming the directory and the holder, while another live process (or an
 * unexpired lease) holds it. With `leaseMs` the claim is a lease that the holder must `renew()`.
 */
export const claimDirectory = (dir: string, options: ClaimOptions = {}): DirectoryClaim => {
  const { leaseMs } = options;
  const host = options.host ?? hostname();
  if (leaseMs !== undefined && !(Number.isFinite(leaseMs) && leaseMs > 0)) throw new Error(`claimDirectory: leaseMs must be a number > 0, got ${leaseMs}`);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (e) {
    if (code(e) === 'ENOENT') throw new Error(`cannot claim ${dir}: it does not exist (create the run directory first)`, { cause: e });
    throw fsError('examine', dir, e);
  }
  if (!isDirectory) throw new Error(`cannot claim ${dir}: it is not a directory`);
  const path = join(dir, LOCK_FILE);
  let mine = newClaim(host, leaseMs);
  const deadline = Date.now() + GIVE_UP_MS;
  while (!createExclusive(path, serialize(mine))) {
    const seen = look(path);
    if (seen === undefined) continue; // released meanwhile: try again
    const holder = parseClaim(seen.text, host);
    if (!isStale(holder, host)) {
      throw new Error(`${dir} is in use by ${whose(holder)} (${path}): wait for it, stop it, or use another --out; ` +
        'if no such run is going, delete the file');
    }
    if (Date.now() > deadline) throw new Error(`${dir}: gave up taking over the stale claim ${path} after ${GIVE_UP_MS / 1000} s`);
    withTakeover(dir, deadline, () => {
      if (same(look(path), seen)) removeIfThere(path); // still the stale claim judged above
    }, host);
  }
  const release = (): void => {
    process.off('exit', release);
    releaseOwn(path, mine.token);
  };
  // Under the takeover lock, so a taker cannot remove the claim between our check and the rename.
  const renew = (): boolean => withTakeover(dir, Date.now() + GIVE_UP_MS, () => {
    const seen = look(path);
    if (seen === undefined || parseClaim(seen.text, host)?.token !== mine.token) return false;
    if (leaseMs === undefined) return true;
    const next: OwnClaim = { ...mine, expiresAt: new Date(Date.now() + leaseMs).toISOString() };
    const temp = `${path}.${randomBytes(8).toString('hex')}.tmp`;
    try {
      const fd = openSync(temp, 'wx');
      try {
        writeSync(fd, serialize(next));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path); // atomic: a reader sees the old lease or the new one
    } catch (e) {
      removeIfThere(temp);
      throw fsError('renew', path, e);
    }
    mine = next;
    return true;
  }, host);
  process.on('exit', release);
  return Object.assign(release, { release, renew });
};
