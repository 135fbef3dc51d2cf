/** `npm run ensemble -- --help`: K members on worker threads, averaged and voted (the `tenfold ensemble` command). */
import { ensembleCommand } from '../lib/cli/commands/ensemble.ts';
import { runCommand } from '../lib/cli/command.ts';

runCommand(ensembleCommand, process.argv.slice(2));
