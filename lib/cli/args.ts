/** Command-line parsing: node's parseArgs for syntax (unknown flags refused), io-ts for values. */
import { parseArgs } from 'node:util';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { describeErrors, getOrThrow } from '../decode.ts';
import { JobSetupError } from '../jobs/job.ts';

/** One flag: its codec (for valued flags) or 'boolean', a default and a line of help. */
export interface FlagSpec {
  readonly codec: t.Decoder<unknown, unknown> | 'boolean';
  readonly default?: string;
  readonly help: string;
}

/** A command's flags by name. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The decoded values of a command's flags. */
export type Flags<S extends FlagSpecs> = {
  readonly [K in keyof S]: S[K]['codec'] extends t.Decoder<unknown, infer A> ? (S[K] extends { default: string } ? A : A | undefined) : boolean;
};

/** A usage error: the message says which flag and what is wrong. */
export class UsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

/** The usage text of a command. */
export const usage = (command: string, specs: FlagSpecs): string => [
  `usage: npm run ${command} -- [flags]`,
  ...Object.entries(specs).map(([name, s]) =>
    `  --${name}${s.codec === 'boolean' ? '' : ' VALUE'}`.padEnd(30) + s.help + (s.default !== undefined ? ` (default ${s.default})` : '')),
].join('\n');

/** One flag's value: a boolean's presence, nothing, or the decoded string (Left "--name: <why>"). */
const decodeFlag = (name: string, s: FlagSpec, raw: string | boolean | undefined): E.Either<UsageError, unknown> => {
  if (s.codec === 'boolean') return E.right(raw === true);
  if (raw === undefined) return E.right(undefined);
  return pipe(s.codec.decode(raw), E.mapLeft((errors) => new UsageError(`--${name}: ${describeErrors(errors)}`)));
};

/** Parses argv against the specs; Left a UsageError for an unknown flag or the first bad value. */
export const parseFlagsE = <S extends FlagSpecs>(argv: readonly string[], specs: S): E.Either<UsageError, Flags<S>> => pipe(
  E.tryCatch(() => parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: Object.fromEntries(Object.entries(specs).map(([name, s]) => [name, { type: s.codec === 'boolean' ? 'boolean' : 'string' }])),
  }).values as Record<string, string | boolean | undefined>, (err) => new UsageError((err as Error).message)),
  E.flatMap((parsed) => pipe(
    Object.entries(specs),
    E.traverseArray(([name, s]) => pipe(decodeFlag(name, s, parsed[name] ?? s.default), E.map((v) => [name, v] as const))),
  )),
  E.map((values) => Object.fromEntries(values) as Flags<S>),
);

/** `parseFlagsE`, throwing the UsageError. */
export const parseFlags = <S extends FlagSpecs>(argv: readonly string[], specs: S): Flags<S> => getOrThrow(parseFlagsE(argv, specs));

/**
 * Runs a command's main; prints usage errors with the usage text and exits 2, a job that cannot
 * be set up as asked (its flags against its data or checkpoint directory) exits 2, other errors 1.
 */
export const runMain = (command: string, specs: FlagSpecs, main: () => void | Promise<void>): void => {
  Promise.resolve().then(main).catch((err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${command}: ${err.message}\n${usage(command, specs)}\n`);
      process.exitCode = 2;
    } else if (err instanceof JobSetupError) {
      process.stderr.write(`${command}: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`${command}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  });
};
