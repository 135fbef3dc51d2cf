/** Byte decoding through the wasm kernels: the chosen rows copied in, turned into floats in place, kept resident. */
import type { DecodeRowsArgs } from '../kernels.ts';
import type { Float32Args, WasmContext } from './kernels.ts';

/** Bytes decoded per call at most: a batch is one call, a whole set many (the memory never shrinks). */
const CHUNK_BYTES = 2 ** 18;

/** See Kernels.decodeRows. */
export const wasmDecodeRows = ({ ex, arena }: WasmContext, { bytes, rowBytes, rows, table, out }: Float32Args<DecodeRowsArgs>): void => {
  if (rowBytes === 0) return;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!(Number.isInteger(r) && r >= 0 && (r + 1) * rowBytes <= bytes.length)) {
      throw new RangeError(`decodeRows: row ${r} is outside the ${Math.floor(bytes.length / rowBytes)} rows`);
    }
  }
  const perCall = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
  for (let from = 0; from < rows.length; from += perCall) {
    const to = Math.min(rows.length, from + perCall);
    const len = (to - from) * rowBytes;
    arena.reset();
    const pt = arena.put(table.length === 256 ? table : table.subarray(0, 256));
    const pb = arena.putRows(bytes, rowBytes, rows, from, to);
    const po = arena.output(len * 4);
    ex.lookupBytes(pb, pt, po, len);
    arena.getAndKeep(po, rows.length === to - from ? out : out.subarray(from * rowBytes, to * rowBytes));
  }
};
