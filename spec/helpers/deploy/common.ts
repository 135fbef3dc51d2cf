/**
 * What the deployment checks share (spec/helpers/deploy/): the contract every file must keep, YAML
 * loading that fails on any error, and reading `tenfold` arguments with the commands' own flags.
 */
import { posix } from 'node:path';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { parseAllDocuments } from 'yaml';
import { parseFlagsE, type Flags, type FlagSpecs } from '../../../lib/cli/args.ts';
import type { Command } from '../../../lib/cli/command.ts';
import { describeErrors } from '../../../lib/decode.ts';
import { queueUrlProblem } from '../../../lib/queue/job-id.ts';

/** What every deployment file must agree on: the image, its Dockerfile, the shared path, the package. */
export interface DeployContract {
  /** The image tag the files run, `tenfold:<package version>`. */
  readonly image: string;
  /** The Dockerfile that builds it, relative to the repository root. */
  readonly dockerfile: string;
  /** Where the shared run directory is mounted; `--out` goes under it. */
  readonly sharedPath: string;
  /** The package's version (the tarball `npm pack` makes is tenfold-<version>.tgz). */
  readonly version: string;
  /** The package's peer dependencies by name: the image installs the optional ones at these ranges. */
  readonly peers: Readonly<Record<string, string>>;
}

/** Least grace between SIGTERM and SIGKILL: a worker's next step and its checkpoint must fit. */
export const MIN_GRACE_SECONDS = 30;

/** Every document of a YAML text as plain data; throws, naming the file, on any YAML error or warning. */
export const yamlDocuments = (text: string, file: string): readonly unknown[] =>
  Array.from(parseAllDocuments(text), (doc, i) => {
    const [first] = [...doc.errors, ...doc.warnings];
    if (first !== undefined) throw new Error(`${file}: YAML document ${i + 1}: ${first.message}`);
    return doc.toJS();
  });

/** Seconds of a compose duration ("30s", "1m30s", "500ms"); undefined if it is not one. */
export const durationSeconds = (s: string): number | undefined => {
  const units: Readonly<Record<string, number>> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6 };
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|m|s)/g)];
  if (parts.length === 0 || parts.map((m) => m[0]).join('') !== s) return undefined;
  return parts.reduce((sum, m) => sum + Number(m[1]) * units[m[2]], 0);
};

/** Cores of a Kubernetes CPU quantity ("1", 2, "500m"); undefined if it is not one. */
export const cpuCores = (q: string | number): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(q));
  return m === null ? undefined : Number(m[1]) / (m[2] === 'm' ? 1000 : 1);
};

/** The value after `name` in an argument list. */
export const optionValue = (argv: readonly string[], name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
};

/** Whether an absolute path lies inside `dir` (and is not `dir` itself). */
export const isUnder = (path: string, dir: string): boolean => {
  const rel = posix.relative(dir, posix.normalize(path));
  return posix.isAbsolute(path) && rel !== '' && !rel.startsWith('..');
};

/** Whether every label of `a` (at least one) is in `b`: a selector matching labels. */
export const isSubset = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>> | undefined): boolean =>
  Object.keys(a).length > 0 && Object.entries(a).every(([k, v]) => b?.[k] === v);

/** The number a string of digits names, if it is a positive integer. */
export const positiveInt = (s: string | undefined): number | undefined => (s !== undefined && /^[1-9]\d*$/.test(s) ? Number(s) : undefined);

/** The flags of `tenfold <command> …` as that command parses them (unknown flags and bad values are problems). */
export const commandFlags = <S extends FlagSpecs>(
  where: string, argv: readonly string[], command: Command<S>, problems: string[],
): Flags<S> | undefined => {
  if (argv[0] !== command.name) {
    problems.push(`${where}: expected "${command.name} …" (the arguments of tenfold ${command.name}), got "${argv.join(' ')}"`);
    return undefined;
  }
  const flags = parseFlagsE(argv.slice(1), command.specs);
  if (E.isLeft(flags)) {
    problems.push(`${where}: tenfold ${command.name} would refuse it: ${flags.left.message}`);
    return undefined;
  }
  return flags.right;
};

/** Host and port of a `--queue` URL (Redis's port 6379 when it names none). */
export const redisAddress = (where: string, url: string | undefined, problems: string[]): { host: string; port: number } | undefined => {
  const why = url === undefined ? 'missing' : queueUrlProblem(url);
  if (why !== undefined || url === undefined) {
    problems.push(`${where}: --queue: ${why ?? 'missing'}`);
    return undefined;
  }
  const u = new URL(url);
  return { host: u.hostname, port: u.port === '' ? 6379 : Number(u.port) };
};

/** A decode's value, or undefined with the errors added to `problems`. */
export const decoded = <A>(r: t.Validation<A>, where: string, problems: string[]): A | undefined => {
  if (E.isRight(r)) return r.right;
  problems.push(`${where}: ${describeErrors(r.left)}`);
  return undefined;
};
