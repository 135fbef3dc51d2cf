/** Types of helper-loop.mjs. */
import type { HelperData } from './helper.ts';

/** Runs the helper thread's jobs for ever on the shared memory of `data`. */
export declare function helperLoop(data: HelperData): never;
