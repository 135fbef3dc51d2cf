/** `npm run evaluate -- --help`: test accuracy of trained weights, a checkpoint, a saved model or an ensemble (the `tenfold evaluate` command). */
import { runCommand } from '../lib/cli/command.ts';
import { evaluateCommand } from '../lib/cli/commands/evaluate.ts';

runCommand(evaluateCommand, process.argv.slice(2));
