/**
 * Node flags the training commands start Node with (lib/cli/tenfold.ts re-starts Node with them;
 * the npm scripts pass them; docs/performance.md has the figures).
 *
 * Without incremental marking, a major GC that the tensors' external memory (their buffers) asks
 * for runs at once instead of in steps that a few small JS allocations drive: dead buffers go at
 * once. One training process runs its epochs 15–20% faster with it, and holds no more memory.
 */
export const TRAINING_NODE_FLAGS: readonly string[] = ['--no-incremental-marking'];

/**
 * For commands that train beside other training on the same cores: ensemble and search (a pool of
 * worker threads) and worker (one of several worker processes on a host). With every core
 * training, V8's parallel and concurrent GC helpers only slow the trainers, so GC also runs on
 * the thread that allocates; an ensemble then holds half the memory of single-threaded GC alone.
 */
export const POOL_NODE_FLAGS: readonly string[] = ['--single-threaded-gc', ...TRAINING_NODE_FLAGS];
