/**
 * Where a queued member (or trial) trained: each worker attempt appends its kernels, CPU, host and
 * Node to `member-N/trained-on.json` (`trial-N/…`). Members trained on different kernels may differ
 * in their last bits from a local run, so the coordinator warns when they did.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { decodeE } from '../decode.ts';
import type { EnsembleManifest } from '../ensemble/manifest.ts';
import { activeKernels } from '../kernels/backend.ts';
import { writeAtomic } from '../train/checkpoint-files.ts';

/** The file in a member's directory. */
export const TRAINED_ON_FILE = 'trained-on.json';

/** One attempt as JSON (the record's entries, and a job result's `trainedOn`). */
export const TrainedOnC = t.readonly(t.type({ kernels: t.string, cpu: t.string, cores: t.number, host: t.string, node: t.string, startedAt: t.string }));
const TrainedOnFileC = t.type({ format: t.literal('tenfold-trained-on'), version: t.literal(1), attempts: t.readonlyArray(TrainedOnC) });

/** One worker attempt at a member: the machine and kernels it trained on. */
export type TrainedOn = t.TypeOf<typeof TrainedOnC>;

/** This process now (call after the kernels are chosen: the name is the active backend's). */
export const thisMachine = (): TrainedOn => {
  const all = cpus();
  return {
    kernels: activeKernels().name, cpu: all[0]?.model.trim() ?? 'unknown', cores: all.length,
    host: hostname(), node: process.version, startedAt: new Date().toISOString(),
  };
};

/** The attempts recorded in member directory `dir`: none when it has no file; Left when the file is damaged. */
export const readTrainedOnE = (dir: string): E.Either<Error, readonly TrainedOn[]> => {
  const file = join(dir, TRAINED_ON_FILE);
  if (!existsSync(file)) return E.right([]);
  return pipe(
    E.tryCatch(() => readFileSync(file, 'utf8'), (err) => new Error(`${file}: cannot read: ${(err as Error).message}`)),
    E.flatMap((text) => E.tryCatch((): unknown => JSON.parse(text), (err) => new Error(`${file}: not valid JSON: ${(err as Error).message}`))),
    E.flatMap(decodeE(TrainedOnFileC, file)),
    E.map((f) => f.attempts),
  );
};

/** Appends `attempt` to `dir`'s record (atomically; a damaged record is started afresh, since it only informs). */
export const recordAttempt = (dir: string, attempt: TrainedOn): void => {
  const before = readTrainedOnE(dir);
  const attempts = [...(E.isRight(before) ? before.right : []), attempt];
  writeAtomic(dir, TRAINED_ON_FILE, new TextEncoder().encode(`${JSON.stringify({ format: 'tenfold-trained-on', version: 1, attempts }, null, 2)}\n`));
};

/**
 * One line when the members (or trials: `noun`) by index trained on more than one set of kernels,
 * naming which used which; undefined when they all used the same (or nothing is recorded).
 */
export const mixedKernelsWarning = (byMember: ReadonlyMap<number, readonly TrainedOn[]>, noun = 'member'): string | undefined => {
  const kernelsOf = [...byMember].filter(([, a]) => a.length > 0).sort(([a], [b]) => a - b)
    .map(([index, attempts]) => ({ index, names: [...new Set(attempts.map((a) => a.kernels))] }));
  const all = new Set(kernelsOf.flatMap((m) => m.names));
  if (all.size < 2) return undefined;
  const listed = kernelsOf.map((m) => `${noun} ${m.index + 1} on ${m.names.join(' then ')}`).join(', ');
  return `${noun}s trained on different kernels (${listed}): the figures may differ in their last bits from a run on one kind of worker`;
};

/** The attempts of every entry (`dirs`: index and directory inside `out`), a warning for each record that cannot be read and for mixed kernels. */
export const readTrainedOnAll = (
  out: string, dirs: readonly { readonly index: number; readonly dir: string }[], noun: string,
): { byMember: Map<number, readonly TrainedOn[]>; warnings: string[] } => {
  const byMember = new Map<number, readonly TrainedOn[]>();
  const warnings: string[] = [];
  for (const m of dirs) {
    const read = readTrainedOnE(join(out, m.dir));
    if (E.isLeft(read)) warnings.push(`${noun} ${m.index + 1}: where it trained is unknown: ${read.left.message}`);
    else byMember.set(m.index, read.right);
  }
  const mixed = mixedKernelsWarning(byMember, noun);
  if (mixed !== undefined) warnings.push(mixed);
  return { byMember, warnings };
};

/** Every member's attempts in the ensemble directory `out`, and a warning for each record that cannot be read and for mixed kernels. */
export const readEnsembleTrainedOn = (out: string, manifest: EnsembleManifest): { byMember: Map<number, readonly TrainedOn[]>; warnings: string[] } =>
  readTrainedOnAll(out, manifest.members, 'member');
