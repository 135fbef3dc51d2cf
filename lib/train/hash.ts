/** A fingerprint of parameters: SHA-256 over every tensor's bytes in sorted path order. */
import { sha256 } from '../platform/host.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { leaves, type TreeRecord } from '../tree.ts';

/** Hex SHA-256 of the parameters' paths, shapes and bytes; equal trees give equal hashes. */
export const paramsSha256 = (params: TreeRecord): string => {
  const h = sha256();
  for (const [path, t] of leaves(params)) {
    h.update(`${path}:${t.dtype}:${t.shape.join('x')};`);
    const b = unsafeMutableData(t);
    h.update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  }
  return h.digest();
};
