// The GEMM helper thread: instantiates the kernel module on the shared memory, then runs the
// sub-blocks the main thread posts through the control words (see helper.ts for the layout).
// Plain JavaScript so it starts without a TypeScript loader.
import { workerData } from 'node:worker_threads';

const SEQ = 0, DONE = 1, READY = 2, FAILED = 3, ARGS = 4;
const { module, memory, control } = workerData;
const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm;
const ctrl = new Int32Array(memory.buffer, control, ARGS + 13);

let seen = Atomics.load(ctrl, SEQ);
Atomics.store(ctrl, READY, 1);
Atomics.notify(ctrl, READY);
for (;;) {
  Atomics.wait(ctrl, SEQ, seen);
  const seq = Atomics.load(ctrl, SEQ);
  if (seq === seen) continue;
  seen = seq;
  try {
    const a = ctrl.subarray(ARGS, ARGS + 13);
    gemm(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]);
  } catch {
    Atomics.store(ctrl, FAILED, 1);
  }
  Atomics.store(ctrl, DONE, seq);
  Atomics.notify(ctrl, DONE);
}
