/** Matrix products through the GEMM kernel. */
import { kernelsFor, outputBuffer } from '../kernels/backend.ts';
import { showShape, wrap, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';

/** Options of `matmul`: use the transpose of an operand without materialising it. */
export interface MatmulOptions {
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
}

/** op(a) · op(b) for 2-D tensors, where op transposes when asked. */
export const matmul = (a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor => {
  const ta = options.transposeA ?? false;
  const tb = options.transposeB ?? false;
  const describe = (): string =>
    `${showShape(a.shape)}${ta ? 'ᵀ' : ''} and ${showShape(b.shape)}${tb ? 'ᵀ' : ''}`;
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error(`matmul: needs 2-D tensors, got ${describe()}`);
  if (a.dtype !== b.dtype) throw new Error(`matmul: dtypes ${a.dtype} and ${b.dtype} differ`);
  const [m, ka] = ta ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = tb ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (ka !== kb) throw new Error(`matmul: inner dimensions differ (${ka} vs ${kb}) for ${describe()}`);
  const out = outputBuffer(a.dtype, m * n);
  kernelsFor(a.dtype).gemm({ transA: ta, transB: tb, m, n, k: ka, a: unsafeMutableData(a), b: unsafeMutableData(b), out });
  return wrap(out, [m, n]);
};
