/**
 * NumPy `.npz` archives: a zip of `.npy` members (as written by `np.savez`).
 * Unzipping and zipping go through fflate; member parsing through `./npy.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { encodeNpy, parseNpy, type NpyArray } from './npy.ts';

/** Arrays to save, by name (the `.npy` suffix is added in the archive). */
export type NpzEntries = ReadonlyMap<string, NpyArray> | Readonly<Record<string, NpyArray>>;

/**
 * Read an `.npz` archive from a path or from bytes. Keys are member names
 * without their `.npy` suffix, e.g. `W1`, in archive order.
 */
export function readNpz(
  source: string | Uint8Array,
  name = typeof source === 'string' ? source : '<bytes>',
): ReadonlyMap<string, NpyArray> {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = readFileSync(source);
    } catch (e) {
      throw new Error(`${source}: cannot read: ${(e as Error).message}`);
    }
  } else {
    bytes = source;
  }
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch (e) {
    throw new Error(`${name}: not a valid .npz (zip) archive: ${(e as Error).message}`);
  }
  const out = new Map<string, NpyArray>();
  for (const [member, data] of Object.entries(members)) {
    const key = member.endsWith('.npy') ? member.slice(0, -4) : member;
    out.set(key, parseNpy(data, `${name}: array '${key}'`));
  }
  return out;
}

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
