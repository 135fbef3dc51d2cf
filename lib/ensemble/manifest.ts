/** ensemble.json: what an ensemble directory holds (members and their configurations), decoded with io-ts. */
import { existsSync, readFileSync } from 'node:fs';
import { writeAtomic } from '../train/checkpoint-files.ts';
import { join } from 'node:path';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { decodeE, getOrThrow } from '../decode.ts';
import { JobConfigC } from '../jobs/restore.ts';
import type { JobConfig } from '../jobs/job.ts';

const MemberSourceC = t.union([
  t.type({ run: t.number, kind: t.literal('snapshot'), cycle: t.number }),
  t.type({ run: t.number, kind: t.keyof({ final: null, swa: null }) }),
]);

// runs, methods and a member's source are optional: an ensemble of independent members is written as before
const EnsembleManifestC = t.intersection([
  t.type({
    format: t.literal('tenfold-ensemble'),
    version: t.literal(1),
    seed: t.number,
    members: t.array(t.intersection([t.type({ index: t.number, dir: t.string, config: JobConfigC }), t.partial({ from: MemberSourceC })])),
  }),
  t.partial({
    methods: t.array(t.keyof({ independent: null, snapshot: null, swa: null })),
    runs: t.array(t.type({ index: t.number, dir: t.string, config: JobConfigC })),
  }),
]);

/** How members are made: independent runs, the cycle ends of one warm-restarts run, or a run's weight average. */
export type EnsembleMethod = 'independent' | 'snapshot' | 'swa';

/** Which run a member comes from, and what of it: cycle `cycle`'s end, its final state, or its SWA model. */
export type MemberSource =
  | { readonly run: number; readonly kind: 'snapshot'; readonly cycle: number }
  | { readonly run: number; readonly kind: 'final' }
  | { readonly run: number; readonly kind: 'swa' };

/** A training run that yields members (its checkpoints in `dir`; the run key is the seed with `index` folded in). */
export interface EnsembleRunPlan {
  readonly index: number;
  readonly dir: string;
  readonly config: JobConfig;
}

/** One member: its index (which folds into the seed) and checkpoint directory (relative). */
export interface EnsembleMember {
  readonly index: number;
  readonly dir: string;
  /** The configuration whose finished checkpoint `dir` holds (a snapshot's: a run of that many cycles). */
  readonly config: JobConfig;
  /** Absent: an independent member, its own run. */
  readonly from?: MemberSource;
}

/** The contents of ensemble.json. */
export interface EnsembleManifest {
  readonly format: 'tenfold-ensemble';
  readonly version: 1;
  readonly seed: number;
  readonly members: readonly EnsembleMember[];
  /** The methods, when not only independent members. */
  readonly methods?: readonly EnsembleMethod[];
  /** The runs that yield members with a `from` (absent: every member is its own run). */
  readonly runs?: readonly EnsembleRunPlan[];
}

/** File name of the manifest inside an ensemble directory. */
export const ENSEMBLE_FILE = 'ensemble.json';

/** Reads and checks an ensemble directory's manifest; Left an Error naming the file and every bad field. */
export const readEnsembleManifestE = (dir: string): E.Either<Error, EnsembleManifest> => {
  const file = join(dir, ENSEMBLE_FILE);
  if (!existsSync(file)) return E.left(new Error(`${file}: not found (is ${dir} an ensemble directory written by npm run ensemble?)`));
  return pipe(
    E.tryCatch(() => readFileSync(file, 'utf8'), (err) => new Error(`${file}: cannot read: ${(err as Error).message}`)),
    E.flatMap((text) => E.tryCatch((): unknown => JSON.parse(text), (err) => new Error(`${file}: not valid JSON: ${(err as Error).message}`))),
    E.flatMap(decodeE(EnsembleManifestC, file)),
  );
};

/** `readEnsembleManifestE`, throwing. */
export const readEnsembleManifest = (dir: string): EnsembleManifest => getOrThrow(readEnsembleManifestE(dir));

/** Writes the manifest atomically (temporary file, then rename) into an existing directory. */
export const writeEnsembleManifest = (dir: string, m: EnsembleManifest): void =>
  writeAtomic(dir, ENSEMBLE_FILE, new TextEncoder().encode(`${JSON.stringify(m, null, 2)}\n`));

/** The first field where two JSON values differ ("members.1.config.lr: 0.002 … but 0.001 …"), if any. */
export const firstDifference = (saved: unknown, now: unknown, path = ''): string | undefined => {
  const show = (v: unknown): string => (v === undefined ? 'absent' : JSON.stringify(v));
  if (typeof saved === 'object' && saved !== null && typeof now === 'object' && now !== null
    && Array.isArray(saved) === Array.isArray(now)) {
    const a = saved as Record<string, unknown>;
    const b = now as Record<string, unknown>;
    if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) return `${path || 'the list'} has ${a.length} entries saved but ${b.length} now`;
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], path === '' ? k : `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return JSON.stringify(saved) === JSON.stringify(now) ? undefined : `${path} is ${show(saved)} there but ${show(now)} now`;
};
