// The helper thread in Node: runs helperLoop on the module, memory and layout that helper.ts puts
// in workerData, so nothing here repeats them. Plain JavaScript so it starts without a TypeScript loader.
import { workerData } from 'node:worker_threads';
import { helperLoop } from './helper-loop.mjs';

helperLoop(workerData);
