/** `npm run worker -- --queue redis://HOST:PORT`: train ensemble members from a Redis queue (the `tenfold worker` command). */
import { workerCommand } from '../lib/cli/commands/worker.ts';
import { runCommand } from '../lib/cli/command.ts';

runCommand(workerCommand, process.argv.slice(2));
