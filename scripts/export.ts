/** `npm run export -- --help`: a trained model as an ONNX file (the `tenfold export` command). */
import { runCommand } from '../lib/cli/command.ts';
import { exportCommand } from '../lib/cli/commands/export.ts';

runCommand(exportCommand, process.argv.slice(2));
