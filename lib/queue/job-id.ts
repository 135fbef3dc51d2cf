/**
 * Names in Redis for queued work: the queue, and each job's id. A job id is derived from the plan,
 * the member (or trial) and the run, so enqueuing it again finds its job instead of adding a
 * second one, and two runs of the same plan into different `--out` never share a job.
 */
import { createHash } from 'node:crypto';
import type { EnsembleManifest } from '../ensemble/manifest.ts';

/** The BullMQ queue that ensemble members and search trials go through (the default of every coordinator and worker). */
export const MEMBER_QUEUE = 'tenfold-members';

/** JSON with object keys sorted, so equal plans hash equally whatever order their fields were built in. */
const canonical = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
};

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A hash (16 hex digits) of a plan, whatever order its fields were built in. */
export const planHash = (plan: unknown): string => sha256(canonical(plan)).slice(0, 16);

/** A hash (12 hex digits) of a run id (the resolved `--out`): BullMQ refuses ids with ':', and paths may hold one. */
export const runHash = (runId: string): string => sha256(runId).slice(0, 12);

/** A hash (16 hex digits) of what an ensemble trains and how its members predict: the manifest and the TTA views. */
export const ensembleHash = (manifest: EnsembleManifest, tta: number): string => planHash({ manifest, tta });

/** Job id of member `index`: `tenfold-<plan hash>-<run hash>-m<index>`; the run id is the resolved `--out` path. */
export const memberJobId = (manifest: EnsembleManifest, tta: number, runId: string, index: number): string =>
  `tenfold-${ensembleHash(manifest, tta)}-${runHash(runId)}-m${index}`;

/** Why `url` is not a Redis URL the queue can use (`redis://HOST:PORT`, optionally with a db path), if it is not. */
export const queueUrlProblem = (url: string): string | undefined => {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `expected redis://HOST:PORT, got "${url}"`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `expected a redis:// (or rediss://) URL, got "${url}"`;
  if (u.hostname === '') return `no host in "${url}"`;
  if (u.pathname !== '' && u.pathname !== '/' && !/^\/\d+$/.test(u.pathname)) return `the path of "${url}" must be a database number (redis://HOST:PORT/0)`;
  return undefined;
};
