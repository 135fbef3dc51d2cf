/** A command of the `tenfold` tool: its flags and what it does with them; `runCommand` parses and runs it. */
import { parseFlags, runMain, usage, type Flags, type FlagSpecs } from './args.ts';

/** One command: name, a line of help, flag specs (with a `help` flag) and its main. */
export interface Command<S extends FlagSpecs> {
  readonly name: string;
  readonly summary: string;
  readonly specs: S;
  readonly run: (flags: Flags<S>) => void | Promise<void>;
}

/** The `help` flag every command has. */
export const helpFlag = { codec: 'boolean', help: 'show this help' } as const;

/** Parses `argv` against the command's flags and runs it (usage errors exit 2, failures 1). */
export const runCommand = <S extends FlagSpecs>(command: Command<S>, argv: readonly string[]): void =>
  runMain(command.name, command.specs, async () => {
    const flags = parseFlags(argv, command.specs);
    if ((flags as Record<string, unknown>).help === true) { process.stdout.write(`${usage(command.name, command.specs)}\n`); return; }
    await command.run(flags);
  });
