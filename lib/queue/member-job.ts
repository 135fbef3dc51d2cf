/** What a member's job carries through Redis, and what its worker returns; decoded on arrival. */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { decodeE } from '../decode.ts';
import type { EnsembleMember } from '../ensemble/manifest.ts';
import { JobConfigC } from '../jobs/config.ts';
import { TrainedOnC, type TrainedOn } from './trained-on.ts';

// version 1 throughout: `kind` was added as optional, so jobs queued before it decode (as members)
const MemberJobDataC = t.intersection([t.type({
  version: t.literal(1),
  ensemble: t.string,
  out: t.string,
  seed: t.number,
  tta: t.number,
  member: t.type({ index: t.number, dir: t.string, config: JobConfigC }),
}), t.partial({ kind: t.literal('member') })]);

/** A member's job: the manifest's entry for it, the run seed, the ensemble directory (absolute, shared) and TTA views. */
export interface MemberJobData {
  readonly version: 1;
  /** Absent in jobs queued before search trials went through the queue. */
  readonly kind?: 'member';
  /** `ensembleHash` of the plan, for messages and checks. */
  readonly ensemble: string;
  /** The ensemble's `--out`, as the coordinator resolved it: workers must see the same path. */
  readonly out: string;
  readonly seed: number;
  readonly tta: number;
  readonly member: EnsembleMember;
}

/** What a worker returns for a member; the coordinator reads the member itself from its checkpoint. */
export interface MemberJobResult {
  readonly index: number;
  readonly testAccuracy: number;
  readonly seconds: number;
  readonly resumed: boolean;
  /** This attempt's kernels and machine (absent from workers older than the record). */
  readonly trainedOn?: TrainedOn;
}

const MemberJobResultC = t.intersection([
  t.type({ index: t.number, testAccuracy: t.number, seconds: t.number, resumed: t.boolean }),
  t.partial({ trainedOn: TrainedOnC }),
]);

/** The job's data checked field by field (it comes from Redis, written by any version of tenfold). */
export const decodeMemberJob = (data: unknown): E.Either<Error, MemberJobData> => decodeE(MemberJobDataC, 'member job')(data);

/** A worker's return value checked field by field (it comes from Redis, written by any worker). */
export const decodeMemberJobResult = (value: unknown): E.Either<Error, MemberJobResult> => decodeE(MemberJobResultC, 'member job result')(value);
