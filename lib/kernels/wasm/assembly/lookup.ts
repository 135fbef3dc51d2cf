/** Byte decoding: stored pixels (bytes) turned into floats through a 256-entry table. */

/**
 * out[i] = table[bytes[i]] for len bytes, copied as float bits (no float conversion, so every
 * value, NaN payloads too, is the table's own). Four bytes per load.
 */
export function lookupBytes(bytes: usize, table: usize, out: usize, len: i32): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const w = load<u32>(bytes + <usize>i);
    const o = out + (<usize>i << 2);
    store<u32>(o, load<u32>(table + ((<usize>w & 255) << 2)));
    store<u32>(o + 4, load<u32>(table + ((<usize>(w >>> 6)) & 1020)));
    store<u32>(o + 8, load<u32>(table + ((<usize>(w >>> 14)) & 1020)));
    store<u32>(o + 12, load<u32>(table + (<usize>(w >>> 24) << 2)));
  }
  for (; i < len; i++) store<u32>(out + (<usize>i << 2), load<u32>(table + (<usize>load<u8>(bytes + <usize>i) << 2)));
}
