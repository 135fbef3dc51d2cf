/**
 * A long-lived claimer process for spec/lock-race.spec.ts (forked with IPC, so that 300 rounds do
 * not cost 1200 node start-ups). On `claim` it sleeps until the wall-clock instant `goAt` shared by
 * all claimers, spins the last millisecond so they really start together, claims, and reports; on
 * `release` it releases what it won. argv[2] may name another lock module to put under test.
 */
import { pathToFileURL } from 'node:url';

export type ToClaimer = { readonly type: 'claim'; readonly dir: string; readonly goAt: number } | { readonly type: 'release' };
export type FromClaimer =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'won' }
  | { readonly type: 'threw'; readonly message: string; readonly stack: string }
  | { readonly type: 'released' };

type LockModule = typeof import('../../lib/jobs/lock.ts');
const target = process.argv[2] === undefined ? new URL('../../lib/jobs/lock.ts', import.meta.url).href : pathToFileURL(process.argv[2]).href;
const { claimDirectory } = (await import(target)) as LockModule;

const send = (m: FromClaimer): void => { process.send?.(m); };
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let release: (() => void) | undefined;

process.on('message', (m: ToClaimer) => {
  if (m.type === 'release') {
    release?.();
    release = undefined;
    send({ type: 'released' });
    return;
  }
  const ahead = m.goAt - Date.now() - 1;
  if (ahead > 0) Atomics.wait(sleeper, 0, 0, ahead);
  while (Date.now() < m.goAt) { /* spin: a timer wake-up alone is not simultaneous enough */ }
  try {
    release = claimDirectory(m.dir);
    send({ type: 'won' });
  } catch (e) {
    send({ type: 'threw', message: (e as Error).message, stack: String((e as Error).stack) });
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
