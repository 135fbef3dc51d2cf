/**
 * What the core needs from its runtime, for Node. Bundlers for browsers swap this file for
 * host.browser.ts (package.json's "browser" map), so nothing below reaches a page.
 */
import { constants } from 'node:buffer';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Hasher } from './hasher.ts';

/** The most elements a typed array holds in this runtime. */
export const MAX_TYPED_ARRAY_LENGTH: number = constants.MAX_LENGTH;

/** An environment variable (undefined where unset). */
export const env = (name: string): string | undefined => process.env[name];

/** Says something once to whoever runs the program (Node: a process warning with a code). */
export const warn = (message: string, code: string): void => { process.emitWarning(message, { code }); };

/** Fresh memory that skips the zero-fill (its bytes are arbitrary until written). */
export const unzeroedBuffer = (bytes: number): ArrayBuffer => Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;

/** Logical cores available to this process. */
export const hardwareThreads = (): number => availableParallelism();

/** Resolves after the event loop has had a turn (timers, messages, signals run): setImmediate. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => { setImmediate(resolve); });

/** An incremental SHA-256 (Node: node:crypto). */
export const sha256 = (): Hasher => {
  const h = createHash('sha256');
  return {
    update(data) { h.update(data); return this; },
    digest: () => h.digest('hex'),
  };
};
