/** The job queue's packages (bullmq, ioredis) are optional peers: loaded only when a queue is used. */

/** Loads a queue module, or throws an error that says which packages to install. */
export const loadQueueModule = async <M>(load: () => Promise<M>): Promise<M> => {
  try {
    return await load();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(`the job queue needs the packages bullmq and ioredis, which are not installed: npm i bullmq ioredis (${(err as Error).message})`);
    }
    throw err;
  }
};
