/**
 * Starts the helper thread in a browser: a Web Worker made from a Blob of helperLoop's source
 * (so a bundler needs no worker entry or asset for it), sent the module and the shared memory.
 * It runs the same loop as worker.mjs in Node. Only a cross-origin-isolated page can share the memory.
 */
import type { HelperData } from './helper.ts';
import { helperLoop } from './helper-loop.mjs';

/** The slice of the Worker API used here (the project's TypeScript lib has no DOM). */
interface WebWorker {
  postMessage(data: unknown): void;
  addEventListener(type: 'error', listener: () => void): void;
}
interface BrowserGlobals {
  readonly Worker: new (url: string, options?: { name?: string }) => WebWorker;
  readonly Blob: new (parts: readonly string[], options: { type: string }) => object;
  readonly URL: { createObjectURL(blob: object): string };
}

let scriptUrl: string | undefined;

/** Starts a helper on `data` in a Web Worker; `onError` runs if it fails to start or throws. */
export const spawnHelperThread = (data: HelperData, onError: () => void): void => {
  const g = globalThis as unknown as BrowserGlobals;
  // the worker's whole program: helperLoop's source, started on the first message (the module and memory)
  scriptUrl ??= g.URL.createObjectURL(new g.Blob(
    [`const helperLoop = ${helperLoop.toString()};\nself.onmessage = ({ data }) => { self.onmessage = null; helperLoop(data); };`],
    { type: 'text/javascript' }));
  const worker = new g.Worker(scriptUrl, { name: 'tenfold kernels helper' });
  worker.addEventListener('error', onError);
  worker.postMessage(data);
};
