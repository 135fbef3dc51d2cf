/**
 * Node flags and environment the training commands start Node with (lib/cli/tenfold.ts re-starts
 * Node with them, and the npm scripts go through it; docs/performance.md has the figures).
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

/**
 * glibc malloc settings for the training commands (other C libraries ignore them). Tensor buffers
 * of 128 KB and more would each be a fresh mmap, or heap that free() hands back to the system as
 * soon as a GC frees a few: every step then faults its outputs' pages in again (400,000 faults a
 * SimpleConvNet epoch). Kept in the heap, an epoch runs 7% faster for 5–7% more peak memory.
 */
export const TRAINING_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(32 * 2 ** 20),
  MALLOC_TRIM_THRESHOLD_: String(64 * 2 ** 20),
};

/** Node flags per command that wants any (the rest run as started). */
export const COMMAND_NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  train: TRAINING_NODE_FLAGS, evaluate: TRAINING_NODE_FLAGS, bench: TRAINING_NODE_FLAGS,
  ensemble: POOL_NODE_FLAGS, search: POOL_NODE_FLAGS, worker: POOL_NODE_FLAGS,
};

/**
 * What a command's process lacks of its flags and environment, or undefined when it has them all
 * (then it runs as it is). A variable the user set is theirs: it is never overridden.
 */
export const missingSettings = (command: string, execArgv: readonly string[], env: Readonly<Record<string, string | undefined>>):
  { readonly flags: readonly string[]; readonly env: Readonly<Record<string, string>> } | undefined => {
  const wanted = COMMAND_NODE_FLAGS[command];
  if (wanted === undefined) return undefined;
  const flags = wanted.filter((f) => !execArgv.includes(f));
  const unset = Object.fromEntries(Object.entries(TRAINING_MALLOC_ENV).filter(([name]) => env[name] === undefined));
  return flags.length === 0 && Object.keys(unset).length === 0 ? undefined : { flags, env: unset };
};
