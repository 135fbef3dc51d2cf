// The helper thread: instantiates the kernel module on the shared memory, then runs the jobs
// the main thread posts through the control words (see helper.ts for the layout): GEMM
// sub-blocks, image ranges of convolutions and element ranges of Adam updates.
// Plain JavaScript so it starts without a TypeScript loader.
import { workerData } from 'node:worker_threads';

const SEQ = 0, DONE = 1, READY = 2, FAILED = 3, ARGS = 4, ARG_COUNT = 16;
const JOB_GEMM = 0, JOB_CONV_FORWARD = 1, JOB_CONV_BACKWARD = 2, JOB_CONV_POOL_FORWARD = 3, JOB_CONV_POOL_BACKWARD = 4,
  JOB_ADAM = 5;
const { module, memory, control } = workerData;
const { gemm, conv2dForward, conv2dBackward, conv2dPoolForward, conv2dPoolBackward, adam } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctrl = new Int32Array(memory.buffer, control, ARGS + ARG_COUNT);
// the same words read as float32 (an Adam job's coefficients are passed as their bits)
const floats = new Float32Array(memory.buffer, control, ARGS + ARG_COUNT);

// After a job, watch for the next one a little before sleeping: jobs come in bursts (every
// layer of every batch), and waking a sleeping thread costs a VM tens to hundreds of µs each time.
const SPIN_MS = 0.3;
const spinFor = (value) => {
  const until = performance.now() + SPIN_MS;
  while (Atomics.load(ctrl, SEQ) === value && performance.now() < until);
};

let seen = Atomics.load(ctrl, SEQ);
Atomics.store(ctrl, READY, 1);
Atomics.notify(ctrl, READY);
for (;;) {
  spinFor(seen);
  Atomics.wait(ctrl, SEQ, seen);
  const seq = Atomics.load(ctrl, SEQ);
  if (seq === seen) continue;
  seen = seq;
  try {
    const a = ctrl.subarray(ARGS + 1, ARGS + ARG_COUNT);
    switch (ctrl[ARGS]) {
      case JOB_GEMM:
        gemm(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]);
        break;
      case JOB_CONV_FORWARD:
        conv2dForward(...a.subarray(0, 11));
        break;
      case JOB_CONV_BACKWARD:
        conv2dBackward(...a.subarray(0, 13));
        break;
      case JOB_CONV_POOL_FORWARD:
        conv2dPoolForward(...a.subarray(0, 13));
        break;
      case JOB_CONV_POOL_BACKWARD:
        conv2dPoolBackward(...a.subarray(0, 15));
        break;
      case JOB_ADAM: {
        const f = floats.subarray(ARGS + 1, ARGS + ARG_COUNT);
        adam(a[0], a[1], a[2], a[3], f[4], f[5], f[6], f[7], f[8], f[9], a[10], a[11], a[12], a[13]);
        break;
      }
      default:
        throw new Error(`unknown job ${ctrl[ARGS]}`);
    }
  } catch {
    Atomics.store(ctrl, FAILED, 1);
  }
  Atomics.store(ctrl, DONE, seq);
  Atomics.notify(ctrl, DONE);
}
