/** Operation codes of the wasm kernels (must match assembly/codes.ts). */
import type { BinaryOp, ReduceOp, UnaryOp } from '../kernels.ts';

/** Code of each unary op. */
export const unaryCode: Readonly<Record<UnaryOp, number>> = {
  neg: 0, abs: 1, exp: 2, log: 3, sqrt: 4, square: 5, reciprocal: 6, sign: 7,
  relu: 8, sigmoid: 9, tanh: 10, step: 11,
};

/** Code of each binary op. */
export const binaryCode: Readonly<Record<BinaryOp, number>> = {
  add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, pow: 6, greater: 7, equal: 8,
};

/** Code of each reduction. */
export const reduceCode: Readonly<Record<ReduceOp, number>> = { sum: 0, max: 1, min: 2 };
