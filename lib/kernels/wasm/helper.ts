/**
 * A second thread for large GEMMs, convolutions and Adam updates. The Kernels API is synchronous, so instead
 * of messages the threads share the wasm memory and a few control words: the main thread posts
 * a job (a GEMM sub-block, or a share of a convolution's images, claimed as the threads come
 * free), computes its own part, then blocks in Atomics.wait until the helper is done.
 * Job layout (worker.mjs reads the same): ARGS holds the job code, the wasm export's arguments follow.
 */
import { Worker } from 'node:worker_threads';
import type { LoadedKernels } from './load.ts';

const SEQ = 0;
const DONE = 1;
const READY = 2;
const FAILED = 3;
const ARGS = 4;
/** Job code plus the longest argument list (conv2dPoolBackward's 15). */
const ARG_COUNT = 16;

/** Milliseconds join() polls before sleeping. */
const SPIN_MS = 2;

/** Bytes of control words the helper needs, placed by the caller below the arena. */
export const CONTROL_BYTES = (ARGS + ARG_COUNT) * 4;

/** Job codes (worker.mjs has the same). */
export const JOB_GEMM = 0;
export const JOB_CONV_FORWARD = 1;
export const JOB_CONV_BACKWARD = 2;
export const JOB_CONV_POOL_FORWARD = 3;
export const JOB_CONV_POOL_BACKWARD = 4;
export const JOB_ADAM = 5;

const bitsView = new Int32Array(1);
const floatView = new Float32Array(bitsView.buffer);
/** The bits of x as float32, for a float argument in the integer control words (worker.mjs reads them back). */
export const floatBits = (x: number): number => {
  floatView[0] = x;
  return bitsView[0];
};

/** Arguments of one wasm gemm call (a sub-block of C). */
export type GemmArgs = readonly [transA: number, transB: number, m: number, n: number, k: number,
  a: number, b: number, c: number, i0: number, i1: number, j0: number, j1: number, scratch: number];

/** Arguments of one wasm conv2dForward call (images [n0, n1), steps claimed from the counter at `taken`). */
export type ConvForwardArgs = readonly [x: number, w: number, bias: number, geometry: number, filters: number,
  flags: number, out: number, n0: number, n1: number, taken: number, scratch: number];

/** Arguments of one wasm conv2dBackward call (images [0, n) in `chunks`, claimed from the counter at `taken`). */
export type ConvBackwardArgs = readonly [x: number, w: number, dy: number, reluOut: number, geometry: number, filters: number,
  dx: number, dw: number, db: number, n: number, chunks: number, taken: number, scratch: number];

/** Arguments of one wasm conv2dPoolForward call (images [n0, n1), steps claimed from the counter at `taken`). */
export type ConvPoolForwardArgs = readonly [x: number, w: number, bias: number, geometry: number, poolGeometry: number,
  filters: number, flags: number, out: number, arg: number, n0: number, n1: number, taken: number, scratch: number];

/** Arguments of one wasm conv2dPoolBackward call (images [0, n) in `chunks`, claimed from the counter at `taken`). */
export type ConvPoolBackwardArgs = readonly [x: number, w: number, dy: number, arg: number, reluPooled: number,
  geometry: number, poolGeometry: number, filters: number, dx: number, dw: number, db: number, n: number, chunks: number,
  taken: number, scratch: number];

/** Arguments of one wasm adam call over a range of elements; the six coefficients as float32 bits (floatBits). */
export type AdamArgs = readonly [g: number, m: number, v: number, len: number, beta1: number, oneMinusBeta1: number,
  beta2: number, oneMinusBeta2: number, eps: number, stepSize: number, outM: number, outV: number, outU: number, p: number];

/** One job for the helper: its code and the export's arguments. */
export type Job =
  | readonly [typeof JOB_GEMM, ...GemmArgs]
  | readonly [typeof JOB_CONV_FORWARD, ...ConvForwardArgs]
  | readonly [typeof JOB_CONV_BACKWARD, ...ConvBackwardArgs]
  | readonly [typeof JOB_CONV_POOL_FORWARD, ...ConvPoolForwardArgs]
  | readonly [typeof JOB_CONV_POOL_BACKWARD, ...ConvPoolBackwardArgs]
  | readonly [typeof JOB_ADAM, ...AdamArgs];

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

  /** Posts one job to the helper (call only when ready()). */
  post(job: Job): void {
    this.ctrl.set(job, ARGS);
    Atomics.store(this.ctrl, SEQ, Atomics.load(this.ctrl, SEQ) + 1);
    Atomics.notify(this.ctrl, SEQ);
  }

  /**
   * Blocks until the posted job is done; false if the helper failed on it. Polls for up to
   * SPIN_MS first: the two halves of a job usually finish close together, and a thread woken
   * from Atomics.wait on a VM starts late.
   */
  join(): boolean {
    const seq = Atomics.load(this.ctrl, SEQ);
    const until = performance.now() + SPIN_MS;
    while (Atomics.load(this.ctrl, DONE) !== seq && performance.now() < until);
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
