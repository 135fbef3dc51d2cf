/**
 * Node flags for the commands that train beside other training on the same cores: ensemble and
 * search (a pool of worker threads) and worker (one of several worker processes on a host).
 * With every core training, V8's parallel and concurrent GC helpers only slow the workers, so GC
 * runs on the thread that allocates. Without incremental marking a major GC then runs at once
 * when external memory (tensor buffers) asks for it, instead of in steps that a few JS
 * allocations drive: the dead buffers go at once, and an ensemble holds half the memory
 * (docs/performance.md, "Ensembles").
 */
export const POOL_NODE_FLAGS: readonly string[] = ['--single-threaded-gc', '--no-incremental-marking'];
