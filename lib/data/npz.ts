/**
 * NumPy `.npz` archives: a zip of `.npy` members (as written by `np.savez`).
 * Reading goes through the strict reader of `./zip.ts` (caps, CRC-32), writing through
 * fflate; member parsing through `./npy.ts`. Nothing depends on the file's extension.
 */
import { writeFileSync } from 'node:fs';
import { zipSync, type Zippable } from 'fflate';
import { readFileCapped, resolveLimits, type ReadLimits } from './limits.ts';
import { encodeNpy, parseNpy, type NpyArray } from './npy.ts';
import { readZip } from './zip.ts';

/** Arrays to save, by name (the `.npy` suffix is added in the archive). */
export type NpzEntries = ReadonlyMap<string, NpyArray> | Readonly<Record<string, NpyArray>>;

/**
 * Read an `.npz` archive from a path or from bytes. Keys are member names
 * without their `.npy` suffix, e.g. `W1`, in archive order.
 *
 * Refused, with an error starting with `name`: a file over `limits.maxTotalBytes`, a member
 * declaring more than `limits.maxArrayBytes` uncompressed (before inflating it) or members
 * totalling more than `limits.maxTotalBytes`, a member that inflates past its declared size,
 * a CRC-32 mismatch, a truncated archive, and any `.npy` error of `parseNpy`.
 */
export function readNpz(
  source: string | Uint8Array,
  name = typeof source === 'string' ? source : '<bytes>',
  limits: ReadLimits = {},
): ReadonlyMap<string, NpyArray> {
  const caps = resolveLimits(limits);
  const bytes = typeof source === 'string' ? readFileCapped(source, caps.maxTotalBytes, 'maxTotalBytes') : source;
  const out = new Map<string, NpyArray>();
  const from = new Map<string, string>();
  for (const { name: member, data } of readZip(bytes, name, caps, '.npz (zip)')) {
    const key = member.endsWith('.npy') ? member.slice(0, -4) : member;
    // `W1` and `W1.npy` would both be array W1: refuse rather than let one silently win.
    if (from.has(key)) throw new Error(`${name}: members '${from.get(key)}' and '${member}' are both array '${key}'`);
    from.set(key, member);
    out.set(key, parseNpy(data, `${name}: array '${key}'`, caps));
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
