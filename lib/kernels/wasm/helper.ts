/**
 * A second thread for large GEMMs, convolutions and Adam updates. The Kernels API is synchronous, so instead
 * of messages the threads share the wasm memory and a few control words: the main thread posts
 * a job (any export of the module, with its arguments), computes its own part, then blocks in
 * Atomics.wait until the helper is done. A job's code is the export's index among the module's
 * export names, which the worker gets with the layout in workerData: no list is kept in step.
 */
import { spawnHelperThread } from './helper-thread.ts';
import type { LoadedKernels } from './load.ts';
import type { WasmExports } from './kernels.ts';

/**
 * The control words: int32 words for Atomics (and the job's code and argument count), then the
 * arguments as float64 (exact for every i32 pointer and every f32 coefficient). The helper thread
 * gets this object with its start data (HelperData).
 */
const LAYOUT = {
  seq: 0, done: 1, ready: 2, failed: 3, job: 4, argc: 5,
  /** Int32 words in all. */
  words: 6,
  /** Byte offset of the float64 arguments (8-aligned). */
  argsAt: 24,
  /** The longest argument list (conv2dPoolBackward's 15). */
  maxArgs: 15,
} as const;

/** Milliseconds join() polls before sleeping. */
const SPIN_MS = 2;

/** Bytes of control words the helper needs, placed by the caller below the arena (64-aligned). */
export const CONTROL_BYTES = LAYOUT.argsAt + LAYOUT.maxArgs * 8;

/** What a helper thread starts from: the module, its shared memory, and where and how to read jobs. */
export interface HelperData {
  readonly module: LoadedKernels['module'];
  readonly memory: LoadedKernels['memory'];
  readonly control: number;
  readonly layout: typeof LAYOUT;
  readonly names: readonly string[];
}

/** The helper thread, started lazily; `ready` turns true once its instance exists. */
export class Helper {
  private started = false;
  private broken = false;
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  /** The module's export names, in its order: a job's code is an index here. */
  private readonly names: readonly string[];

  constructor(private readonly kernels: LoadedKernels, private readonly control: number) {
    this.ctrl = new Int32Array(kernels.memory.buffer, control, LAYOUT.words);
    this.args = new Float64Array(kernels.memory.buffer, control + LAYOUT.argsAt, LAYOUT.maxArgs);
    this.names = Object.keys(kernels.instance.exports);
  }

  /** Whether a posted job will be picked up; starts the worker on first ask. */
  ready(): boolean {
    if (this.broken) return false;
    if (!this.started) this.start();
    return Atomics.load(this.ctrl, LAYOUT.ready) === 1;
  }

  /** Posts one call of export `name` to the helper (call only when ready()). */
  post<K extends keyof WasmExports>(name: K, args: Readonly<Parameters<WasmExports[K]>> & readonly number[]): void {
    this.ctrl[LAYOUT.job] = this.names.indexOf(name);
    this.ctrl[LAYOUT.argc] = args.length;
    this.args.set(args);
    Atomics.store(this.ctrl, LAYOUT.seq, Atomics.load(this.ctrl, LAYOUT.seq) + 1);
    Atomics.notify(this.ctrl, LAYOUT.seq);
  }

  /**
   * Blocks until the posted job is done; false if the helper failed on it. Polls for up to
   * SPIN_MS first: the two halves of a job usually finish close together, and a thread woken
   * from Atomics.wait on a VM starts late.
   */
  join(): boolean {
    const seq = Atomics.load(this.ctrl, LAYOUT.seq);
    const until = performance.now() + SPIN_MS;
    while (Atomics.load(this.ctrl, LAYOUT.done) !== seq && performance.now() < until);
    for (;;) {
      const done = Atomics.load(this.ctrl, LAYOUT.done);
      if (done === seq) break;
      Atomics.wait(this.ctrl, LAYOUT.done, done);
    }
    if (Atomics.load(this.ctrl, LAYOUT.failed) === 0) return true;
    this.broken = true;
    return false;
  }

  private start(): void {
    const { module, memory } = this.kernels;
    // a Node worker thread (helper-thread.ts), or a Web Worker where bundled for browsers
    spawnHelperThread({ module, memory, control: this.control, layout: LAYOUT, names: this.names }, () => { this.broken = true; });
    this.started = true;
  }
}
