/** Starts the helper thread in Node: a worker thread running worker.mjs (browsers: helper-thread.browser.ts). */
import { Worker } from 'node:worker_threads';
import type { HelperData } from './helper.ts';

/** Starts a helper on `data`; `onError` runs if the thread fails. It never keeps the process alive. */
export const spawnHelperThread = (data: HelperData, onError: () => void): void => {
  // plain JavaScript, so it starts without a TypeScript loader, from lib/ or from compiled output alike
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: data, execArgv: [] });
  worker.on('error', onError);
  worker.unref();
};
