/**
 * NumPy `.npz` archives: a zip of `.npy` members (as written by `np.savez`).
 * Reading goes through the strict reader of `./zip.ts` (caps, CRC-32), writing through
 * fflate; member parsing through `./npy.ts`. Nothing depends on the file's extension.
 */
import { writeFileSync } from 'node:fs';
import { zipSync, type Zippable } from 'fflate';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { getOrThrow } from '../decode.ts';
import { readFileCappedE, resolveLimitsE, type ReadLimits } from './limits.ts';
import { encodeNpy, parseNpyE, type NpyArray } from './npy.ts';
import { readZipE, type ZipMember } from './zip.ts';

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
 * Read an `.npz` archive from a path or from bytes. Keys are member names
 * without their `.npy` suffix, e.g. `W1`, in archive order; Left the first refusal.
 *
 * Refused, with an error starting with `name`: a file over `limits.maxTotalBytes`, a member
 * declaring more than `limits.maxArrayBytes` uncompressed (before inflating it) or members
 * totalling more than `limits.maxTotalBytes`, a member that inflates past its declared size,
 * a CRC-32 mismatch, a truncated archive, two members for one array, and any `.npy` error of `parseNpyE`.
 */
export const readNpzE = (
  source: string | Uint8Array,
  name = typeof source === 'string' ? source : '<bytes>',
  limits: ReadLimits = {},
): E.Either<Error, ReadonlyMap<string, NpyArray>> => pipe(
  resolveLimitsE(limits),
  E.flatMap((caps) => pipe(
    typeof source === 'string' ? readFileCappedE(source, caps.maxTotalBytes, 'maxTotalBytes') : E.right(source),
    E.flatMap((bytes) => readZipE(bytes, name, caps, '.npz (zip)')),
    E.flatMap((members) => oneMemberPerArray(members, name)),
    E.flatMap(E.traverseArray(({ name: member, data }) => pipe(
      parseNpyE(data, `${name}: array '${keyOf(member)}'`, caps),
      E.map((array) => [keyOf(member), array] as const),
    ))),
    E.map((arrays): ReadonlyMap<string, NpyArray> => new Map(arrays)),
  )),
);

/** `readNpzE`, throwing. */
export const readNpz = (
  source: string | Uint8Array,
  name = typeof source === 'string' ? source : '<bytes>',
  limits: ReadLimits = {},
): ReadonlyMap<string, NpyArray> => getOrThrow(readNpzE(source, name, limits));

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

/** Write arrays to an `.npz` file. */
export function writeNpz(path: string, arrays: NpzEntries): void {
  writeFileSync(path, encodeNpz(arrays, path));
}
