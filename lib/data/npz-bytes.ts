/**
 * NumPy `.npz` archives from and to bytes: a zip of `.npy` members (as written by `np.savez`).
 * Reading goes through the strict reader of ./zip-bytes.ts (caps, CRC-32), writing through
 * fflate; member parsing through ./npy-bytes.ts. Browser-safe (no node: imports): data/npz.ts
 * adds files and Node's zlib.
 */
import { zipSync, type Zippable } from 'fflate';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { getOrThrow } from '../decode.ts';
import { resolveLimitsE, type ReadLimits } from './caps.ts';
import { encodeNpy, parseNpyE, type NpyArray } from './npy-bytes.ts';
import { portableInflater, readZipBytesE, type Inflater, type ZipMember } from './zip-bytes.ts';

/** Arrays to save, by name (the `.npy` suffix is added in the archive). */
export type NpzEntries = ReadonlyMap<string, NpyArray> | Readonly<Record<string, NpyArray>>;

/** The array a member holds: its name without the `.npy` suffix. */
const keyOf = (member: string): string => (member.endsWith('.npy') ? member.slice(0, -4) : member);

/** `W1` and `W1.npy` would both be array W1: refused rather than letting one silently win. */
const oneMemberPerArray = (members: readonly ZipMember[], name: string): E.Either<Error, readonly ZipMember[]> => {
  const from = new Map<string, string>();
  for (const { name: member } of members) {
    const key = keyOf(member);
    const other = from.get(key);
    if (other !== undefined) return E.left(new Error(`${name}: members '${other}' and '${member}' are both array '${key}'`));
    from.set(key, member);
  }
  return E.right(members);
};

/**
 * Parse an `.npz` archive's bytes. Keys are member names without their `.npy` suffix, e.g. `W1`,
 * in archive order; Left the first refusal. `inflater` inflates deflated members (default: fflate).
 *
 * Refused, with an error starting with `name`: a member declaring more than `limits.maxArrayBytes` uncompressed (before inflating it) or members
 * totalling more than `limits.maxTotalBytes`, a member that inflates past its declared size,
 * a CRC-32 mismatch, a truncated archive, two members for one array, and any `.npy` error of `parseNpyE`.
 */
export const parseNpzE = (
  bytes: Uint8Array, name = '<bytes>', limits: ReadLimits = {}, inflater: Inflater = portableInflater,
): E.Either<Error, ReadonlyMap<string, NpyArray>> => pipe(
  resolveLimitsE(limits),
  E.flatMap((caps) => pipe(
    readZipBytesE(bytes, name, caps, '.npz (zip)', inflater),
    E.flatMap((members) => oneMemberPerArray(members, name)),
    E.flatMap(E.traverseArray(({ name: member, data }) => pipe(
      parseNpyE(data, `${name}: array '${keyOf(member)}'`, caps),
      E.map((array) => [keyOf(member), array] as const),
    ))),
    E.map((arrays): ReadonlyMap<string, NpyArray> => new Map(arrays)),
  )),
);

/** `parseNpzE`, throwing. */
export const parseNpz = (
  bytes: Uint8Array, name = '<bytes>', limits: ReadLimits = {}, inflater: Inflater = portableInflater,
): ReadonlyMap<string, NpyArray> => getOrThrow(parseNpzE(bytes, name, limits, inflater));

// A fixed timestamp makes archives byte-for-byte reproducible (zip dates start in 1980).
const MTIME = new Date(1980, 0, 1);

/** Serialize arrays as an uncompressed `.npz` archive (loadable by `np.load`). */
export function encodeNpz(arrays: NpzEntries, name = '<npz>'): Uint8Array {
  const entries = arrays instanceof Map ? [...arrays] : Object.entries(arrays);
  const files: Zippable = {};
  for (const [key, arr] of entries) {
    if (key.length === 0 || key.includes('/')) throw new Error(`${name}: invalid array name '${key}'`);
    files[`${key}.npy`] = encodeNpy(arr, `${name}: array '${key}'`);
  }
  return zipSync(files, { level: 0, mtime: MTIME });
}
