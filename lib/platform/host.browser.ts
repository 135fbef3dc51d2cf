/**
 * What the core needs from its runtime, for browsers (and their workers): the same exports as
 * host.ts, with nothing from Node. package.json's "browser" map puts this file in its place.
 */
import type { Hasher } from './hasher.ts';
import { Sha256 } from './sha256.ts';

/** The page's globals used here, typed because the project's TypeScript lib has no DOM. */
const page = globalThis as unknown as {
  readonly navigator?: { readonly hardwareConcurrency?: number };
  readonly console: { warn(message: string): void };
};

/** The two ports of a MessageChannel, as nextTurn uses them. */
interface TurnChannel {
  readonly port1: { onmessage: (() => void) | null; close(): void };
  readonly port2: { postMessage(message: number): void };
}

/** The most elements a typed array holds: V8's limit on 64-bit hosts, as in Node 20. */
export const MAX_TYPED_ARRAY_LENGTH: number = 2 ** 32;

/** No environment in a page: every variable is unset, so every default applies. */
export const env = (_name: string): string | undefined => undefined;

/** Says something on the console (as a warning, with its code). */
export const warn = (message: string, code: string): void => { page.console.warn(`${message} (${code})`); };

/** A fresh buffer (browsers always zero it: there is no unzeroed allocation). */
export const unzeroedBuffer = (bytes: number): ArrayBuffer => new ArrayBuffer(bytes);

/** Logical cores the browser reports (1 when it does not say). */
export const hardwareThreads = (): number => page.navigator?.hardwareConcurrency ?? 1;

/** Resolves after the event loop has had a turn: a message to itself (setTimeout would wait ≥ 4 ms once nested). */
export const nextTurn = (): Promise<void> => new Promise((resolve) => {
  const channel = new (globalThis as unknown as { MessageChannel: new () => TurnChannel }).MessageChannel();
  channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
  channel.port2.postMessage(0);
});

/** An incremental SHA-256 in plain TypeScript (Web Crypto's digest is asynchronous only). */
export const sha256 = (): Hasher => new Sha256();
