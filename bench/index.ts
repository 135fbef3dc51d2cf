/** `npm run bench [-- --json FILE] [--filter REGEX] [--max-time S]`: tenfold's kernels beside TensorFlow.js (the `tenfold bench` command). */
import { runCommand } from '../lib/cli/command.ts';
import { benchCommand } from '../lib/cli/commands/bench.ts';

runCommand(benchCommand, process.argv.slice(2));
