/**
 * A second thread for large GEMMs. The Kernels API is synchronous, so instead of messages the
 * threads share the wasm memory and a few control words: the main thread posts a sub-block,
 * computes its own part, then blocks in Atomics.wait until the helper is done.
 */
import { Worker } from 'node:worker_threads';
import type { LoadedKernels } from './load.ts';

const SEQ = 0;
const DONE = 1;
const READY = 2;
const FAILED = 3;
const ARGS = 4;
const ARG_COUNT = 13;

/** Bytes of control words the helper needs, placed by the caller below the arena. */
export const CONTROL_BYTES = (ARGS + ARG_COUNT) * 4;

/** Arguments of one wasm gemm call (a sub-block of C). */
export type GemmArgs = readonly [transA: number, transB: number, m: number, n: number, k: number,
  a: number, b: number, c: number, i0: number, i1: number, j0: number, j1: number, scratch: number];

/** The helper thread, started lazily; `ready` turns true once its instance exists. */
export class Helper {
  private worker: Worker | undefined;
  private broken = false;
  private readonly ctrl: Int32Array;

  constructor(private readonly kernels: LoadedKernels, private readonly control: number) {
    this.ctrl = new Int32Array(kernels.memory.buffer, control, ARGS + ARG_COUNT);
  }

  /** Whether a posted block will be picked up; starts the worker on first ask. */
  ready(): boolean {
    if (this.broken) return false;
    if (this.worker === undefined) this.start();
    return Atomics.load(this.ctrl, READY) === 1;
  }

  /** Posts one sub-block to the helper (call only when ready()). */
  post(args: GemmArgs): void {
    this.ctrl.set(args, ARGS);
    Atomics.store(this.ctrl, SEQ, Atomics.load(this.ctrl, SEQ) + 1);
    Atomics.notify(this.ctrl, SEQ);
  }

  /** Blocks until the posted block is done; false if the helper failed on it. */
  join(): boolean {
    const seq = Atomics.load(this.ctrl, SEQ);
    for (;;) {
      const done = Atomics.load(this.ctrl, DONE);
      if (done === seq) break;
      Atomics.wait(this.ctrl, DONE, done);
    }
    if (Atomics.load(this.ctrl, FAILED) === 0) return true;
    this.broken = true;
    return false;
  }

  private start(): void {
    const { module, memory } = this.kernels;
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
      workerData: { module, memory, control: this.control },
      execArgv: [], // plain JavaScript: no TypeScript loader needed
    });
    worker.on('error', () => { this.broken = true; });
    worker.unref(); // never keeps the process alive
    this.worker = worker;
  }
}
