// The helper thread's loop, for Node (worker.mjs) and browsers (helper-thread.browser.ts, which
// sends this function's source to a Web Worker, so it must reference nothing outside itself: only
// its argument and the globals WebAssembly, Atomics and performance). It instantiates the kernel
// module on the shared memory, then runs the jobs the main thread posts through the control words.
// Plain JavaScript so a Node worker starts it without a TypeScript loader.

/** Runs jobs for ever on `{ module, memory, control, layout, names }` (helper.ts's HelperData). */
export function helperLoop({ module, memory, control, layout, names }) {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const jobs = names.map((name) => exports[name]);
  const ctrl = new Int32Array(memory.buffer, control, layout.words);
  const args = new Float64Array(memory.buffer, control + layout.argsAt, layout.maxArgs);
  // After a job, watch for the next one a little before sleeping: jobs come in bursts (every
  // layer of every batch), and waking a sleeping thread costs a VM tens to hundreds of µs each time.
  const spinFor = (value) => {
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
      // an unknown code finds no function and throws: the main thread then does the job itself
      jobs[ctrl[layout.job]](...args.subarray(0, ctrl[layout.argc]));
    } catch {
      Atomics.store(ctrl, layout.failed, 1);
    }
    Atomics.store(ctrl, layout.done, seq);
    Atomics.notify(ctrl, layout.done);
  }
}
