/** Command-line parsing: node's parseArgs for syntax (unknown flags refused), io-ts for values. */
import { parseArgs } from 'node:util';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
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

/** Parses argv against the specs; throws UsageError on unknown flags or bad values. */
export const parseFlags = <S extends FlagSpecs>(argv: readonly string[], specs: S): Flags<S> => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(Object.entries(specs).map(([name, s]) => [name, { type: s.codec === 'boolean' ? 'boolean' : 'string' }])),
    }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(specs)) {
    const raw = parsed[name] ?? s.default;
    if (s.codec === 'boolean') { out[name] = raw === true; continue; }
    if (raw === undefined) { out[name] = undefined; continue; }
    const r = s.codec.decode(raw);
    if (isLeft(r)) throw new UsageError(`--${name}: ${r.left[0]?.message ?? 'invalid value'}`);
    out[name] = r.right;
  }
  return out as Flags<S>;
};

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
