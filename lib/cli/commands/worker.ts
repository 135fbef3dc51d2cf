/** `tenfold worker`: take ensemble members and search trials from a Redis queue and train them, until stopped. */
import * as t from 'io-ts';
import { queueUrlProblem } from '../../queue/job-id.ts';
import { loadQueueModule } from '../../queue/optional.ts';
import { PositiveInt } from '../codecs.ts';
import { UsageError } from '../args.ts';
import { helpFlag, type Command } from '../command.ts';
import { stopOnSignals } from '../signals.ts';

const specs = {
  queue: { codec: t.string, help: 'the Redis of the queue, redis://HOST:PORT (the --queue of tenfold ensemble or tenfold search)' },
  concurrency: { codec: PositiveInt, default: '1', help: 'members or trials trained at once by this process (they share its thread: start more workers for more cores)' },
  'lock-duration': { codec: PositiveInt, default: '30000', help: 'ms a job\'s lock lasts unrenewed: a killed worker\'s job counts as stalled this long after its death (BullMQ\'s default)' },
  'stalled-interval': { codec: PositiveInt, default: '30000', help: 'ms between this worker\'s checks for stalled jobs, which it hands back to the queue (BullMQ\'s default)' },
  lease: { codec: PositiveInt, default: '60000', help: 'ms of the lease on a member\'s directory, renewed every third of it: another host takes over a member whose lease ran out' },
  quiet: { codec: 'boolean', help: 'no log lines' },
  help: helpFlag,
} as const;

/** The worker command. */
export const workerCommand: Command<typeof specs> = {
  name: 'worker', summary: 'take ensemble members and search trials from a Redis queue (tenfold ensemble/search --queue) and train them', specs,
  run: async (flags) => {
    if (flags.queue === undefined) throw new UsageError('--queue redis://HOST:PORT is required');
    const problem = queueUrlProblem(flags.queue);
    if (problem !== undefined) throw new UsageError(`--queue: ${problem}`);
    const log = (s: string): void => { if (!flags.quiet) process.stdout.write(`${new Date().toISOString()} ${s}\n`); };
    // first signal: members and trials stop at their next step (each checkpoints and goes back to the queue unspent), then exit; a second exits at once
    const stop = stopOnSignals((name) => log(`${name}: stopping every member or trial at its next step (each checkpoints and goes back to the queue); send it again to exit at once`));
    const { startMemberWorker } = await loadQueueModule(() => import('../../queue/worker.ts'));
    // trials are a kind of job that lib/search defines (lib/queue cannot import it); both go through the one queue
    const { trialJobKind } = await loadQueueModule(() => import('../../search/trial-kind.ts'));
    const w = startMemberWorker({
      url: flags.queue, concurrency: flags.concurrency, log, kinds: [trialJobKind],
      lockDuration: flags['lock-duration'], stalledInterval: flags['stalled-interval'], leaseMs: flags.lease,
    });
    const stopped = new Promise<void>((done) => {
      if (stop.signal.aborted) done();
      stop.signal.addEventListener('abort', () => done(), { once: true });
    });
    // a worker started before its Redis waits for it, unless told to stop
    await Promise.race([w.worker.waitUntilReady().then(() => log(`worker ${process.pid}: taking members and trials from ${flags.queue} (concurrency ${flags.concurrency})`)), stopped]);
    await stopped;
    await w.stop();
    process.exitCode = stop.exitCode() ?? 0;
  },
};
