/**
 * Operation codes, by the contract's op names (UnaryOp, BinaryOp, ReduceOp in lib/kernels/kernels.ts).
 * Plain TypeScript as well as AssemblyScript: the glue imports these very enums, so the codes
 * have one source, and the compiler checks their names against the contract's ops.
 */

/** Codes of the unary ops. */
export enum Unary { neg, abs, exp, log, sqrt, square, reciprocal, sign, relu, sigmoid, tanh, step, flushSubnormal }

/** Codes of the binary ops. */
export enum Binary { add, sub, mul, div, max, min, pow, greater, equal }

/** Codes of the reductions. */
export enum Reduce { sum, max, min }
