/** What the queue's fault specs share: `tenfold worker` children, waiting for conditions, and looking at member directories. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { POOL_NODE_FLAGS } from '../../lib/cli/node-flags.ts';
import { LATEST } from '../../lib/train/checkpoint.ts';
import { startChild, type LiveChild } from './live-child.ts';

/** The CLI entry, run by the children. */
export const TENFOLD = 'lib/cli/tenfold.ts';
/** An `--import` that registers the tiny `quadrants` dataset in a child (for runs where only the flow matters). */
export const WITH_QUADRANTS = ['--import', fileURLToPath(new URL('./quadrants-dataset.ts', import.meta.url))] as const;

/**
 * Starts `tenfold worker --queue URL ...flags` with one kernel thread (2 cores are shared by every
 * child of a spec), with the Node flags the command wants, so it does not start a second process
 * for them: a SIGKILL reaches the worker itself.
 */
export const startWorker = (url: string, flags: readonly string[] = [], nodeArgs: readonly string[] = []): LiveChild =>
  startChild([...POOL_NODE_FLAGS, ...nodeArgs, TENFOLD, 'worker', '--queue', url, ...flags], { TENFOLD_THREADS: '1' });

/** Resolves once `check` holds (polled every 20 ms); rejects naming `what` after `timeoutMs`. */
export const waitUntil = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Epoch and step of the checkpoint `dir/latest.json` names (from the manifest's name, ckpt-e0001-s00000600.json), if there is one. */
export const latestCheckpoint = (dir: string): { readonly epoch: number; readonly step: number; readonly name: string } | undefined => {
  const file = join(dir, LATEST);
  if (!existsSync(file)) return undefined;
  const pointer = JSON.parse(readFileSync(file, 'utf8')) as { readonly manifest?: unknown };
  const m = /ckpt-e(\d+)-s(\d+)/.exec(String(pointer.manifest));
  if (m === null) throw new Error(`${file}: names no checkpoint manifest (${String(pointer.manifest)})`);
  return { epoch: Number(m[1]), step: Number(m[2]), name: String(pointer.manifest) };
};

/** Every file of `dir` with its size, mtime and SHA-256: equal snapshots mean nothing there was written again. */
export const snapshot = (dir: string): Readonly<Record<string, string>> => Object.fromEntries(readdirSync(dir).sort().map((name) => {
  const path = join(dir, name);
  const s = statSync(path);
  return [name, `${s.size} ${s.mtimeMs} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`];
}));

/** How many times `pattern` (global) occurs in `text`. */
export const count = (text: string, pattern: RegExp): number => [...text.matchAll(pattern)].length;
