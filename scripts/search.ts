/** `npm run search -- --help`: random search of the learning rate and weight decay on worker threads (the `tenfold search` command). */
import { searchCommand } from '../lib/cli/commands/search.ts';
import { runCommand } from '../lib/cli/command.ts';

runCommand(searchCommand, process.argv.slice(2));
