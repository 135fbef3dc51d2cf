/**
 * Starts the helper thread in a browser: a Web Worker made from a Blob of helperMain's source
 * (so a bundler needs no worker entry or asset for it), sent the module and the shared memory.
 * It runs the same loop as worker.mjs. Only a cross-origin-isolated page can share the memory.
 */
import type { HelperData } from './helper.ts';

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

/** What helperMain's scope offers it: the message carrying HelperData. */
interface HelperScope {
  onmessage: ((event: { readonly data: HelperData }) => void) | null;
}

/**
 * The worker's whole program. It must reference nothing outside itself (it is sent as source
 * text): only its argument and the globals WebAssembly, Atomics and performance.
 */
const helperMain = (scope: HelperScope): void => {
  scope.onmessage = ({ data }) => {
    scope.onmessage = null;
    const { module, memory, control, layout, names } = data;
    const wasm = (globalThis as unknown as { WebAssembly: { Instance: new (m: unknown, i: object) => { exports: Record<string, (...a: number[]) => void> } } }).WebAssembly;
    const exports = new wasm.Instance(module, { env: { memory } }).exports;
    const jobs = names.map((name) => exports[name]);
    const ctrl = new Int32Array(memory.buffer, control, layout.words);
    const args = new Float64Array(memory.buffer, control + layout.argsAt, layout.maxArgs);
    // as worker.mjs: watch a little for the next job before sleeping, since jobs come in bursts
    const spinFor = (value: number): void => {
      const until = performance.now() + 0.3;
      while (Atomics.load(ctrl, layout.seq) === value && performance.now() < until);
    };
    let seen = Atomics.load(ctrl, layout.seq);
    Atomics.store(ctrl, layout.ready, 1);
    Atomics.notify(ctrl, layout.ready);
    for (;;) {
      spinFor(seen);
      Atomics.wait(ctrl, layout.seq, seen);
      const seq = Atomics.load(ctrl, layout.seq);
      if (seq === seen) continue;
      seen = seq;
      try {
        // an unknown code finds no function and throws: the caller then does the job itself
        jobs[ctrl[layout.job]](...args.subarray(0, ctrl[layout.argc]));
      } catch {
        Atomics.store(ctrl, layout.failed, 1);
      }
      Atomics.store(ctrl, layout.done, seq);
      Atomics.notify(ctrl, layout.done);
    }
  };
};

let scriptUrl: string | undefined;

/** Starts a helper on `data` in a Web Worker; `onError` runs if it fails to start or throws. */
export const spawnHelperThread = (data: HelperData, onError: () => void): void => {
  const g = globalThis as unknown as BrowserGlobals;
  scriptUrl ??= g.URL.createObjectURL(new g.Blob([`(${helperMain.toString()})(self);`], { type: 'text/javascript' }));
  const worker = new g.Worker(scriptUrl, { name: 'tenfold kernels helper' });
  worker.addEventListener('error', onError);
  worker.postMessage(data);
};
