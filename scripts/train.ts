/** `npm run train -- --help`: one model on a registered dataset (the `tenfold train` command). */
import { runCommand } from '../lib/cli/command.ts';
import { trainCommand } from '../lib/cli/commands/train.ts';

runCommand(trainCommand, process.argv.slice(2));
