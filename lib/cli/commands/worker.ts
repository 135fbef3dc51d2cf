/** `tenfold worker`: take ensemble members from a Redis queue and train them, until stopped. */
import * as t from 'io-ts';
import { queueUrlProblem } from '../../queue/job-id.ts';
import { loadQueueModule } from '../../queue/optional.ts';
import { PositiveInt } from '../codecs.ts';
import { UsageError } from '../args.ts';
import { helpFlag, type Command } from '../command.ts';

const specs = {
  queue: { codec: t.string, help: 'the Redis of the member queue, redis://HOST:PORT (the coordinator\'s --queue)' },
  concurrency: { codec: PositiveInt, default: '1', help: 'members trained at once by this process (they share its thread: start more workers for more cores)' },
  quiet: { codec: 'boolean', help: 'no log lines' },
  help: helpFlag,
} as const;

/** The worker command. */
export const workerCommand: Command<typeof specs> = {
  name: 'worker', summary: 'take ensemble members from a Redis queue (tenfold ensemble --queue) and train them', specs,
  run: async (flags) => {
    if (flags.queue === undefined) throw new UsageError('--queue redis://HOST:PORT is required');
    const problem = queueUrlProblem(flags.queue);
    if (problem !== undefined) throw new UsageError(`--queue: ${problem}`);
    const log = (s: string): void => { if (!flags.quiet) process.stdout.write(`${new Date().toISOString()} ${s}\n`); };
    const { startMemberWorker } = await loadQueueModule(() => import('../../queue/worker.ts'));
    const w = startMemberWorker({ url: flags.queue, concurrency: flags.concurrency, log });
    await w.worker.waitUntilReady();
    log(`worker ${process.pid}: taking members from ${flags.queue} (concurrency ${flags.concurrency})`);
    // first signal: members stop at their next step (each checkpoints; the job is tried again), then exit
    await new Promise<void>((done) => {
      const onSignal = (name: 'SIGINT' | 'SIGTERM'): void => {
        log(`${name}: stopping`);
        process.exitCode = name === 'SIGINT' ? 130 : 143;
        w.stop().finally(done);
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
  },
};
