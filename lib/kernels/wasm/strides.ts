/** Simplifies a broadcast iteration space before it is handed to the wasm odometer. */

/** An iteration space: output shape (row-major, dense) and element strides of two inputs. */
export interface Strided {
  readonly shape: readonly number[];
  readonly aStrides: readonly number[];
  readonly bStrides: readonly number[];
}

/**
 * Drops unit axes and merges neighbouring axes that both inputs walk contiguously, so a
 * same-shape op becomes one row and a bias add becomes rows × row-vector. Never empty.
 */
export const coalesce = (s: Strided): Strided => {
  const shape: number[] = [];
  const aStrides: number[] = [];
  const bStrides: number[] = [];
  s.shape.forEach((len, d) => {
    if (len === 1) return;
    const last = shape.length - 1;
    if (last >= 0 && aStrides[last] === s.aStrides[d] * len && bStrides[last] === s.bStrides[d] * len) {
      shape[last] *= len;
      aStrides[last] = s.aStrides[d];
      bStrides[last] = s.bStrides[d];
    } else {
      shape.push(len);
      aStrides.push(s.aStrides[d]);
      bStrides.push(s.bStrides[d]);
    }
  });
  return shape.length === 0 ? { shape: [1], aStrides: [0], bStrides: [0] } : { shape, aStrides, bStrides };
};
