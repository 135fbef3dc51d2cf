/** Operation codes shared with the TypeScript glue (lib/kernels/wasm/codes.ts). */

export const NEG: i32 = 0;
export const ABS: i32 = 1;
export const EXP: i32 = 2;
export const LOG: i32 = 3;
export const SQRT: i32 = 4;
export const SQUARE: i32 = 5;
export const RECIPROCAL: i32 = 6;
export const SIGN: i32 = 7;
export const RELU: i32 = 8;
export const SIGMOID: i32 = 9;
export const TANH: i32 = 10;
export const STEP: i32 = 11;

export const ADD: i32 = 0;
export const SUB: i32 = 1;
export const MUL: i32 = 2;
export const DIV: i32 = 3;
export const MAX: i32 = 4;
export const MIN: i32 = 5;
export const POW: i32 = 6;
export const GREATER: i32 = 7;
export const EQUAL: i32 = 8;

export const SUM: i32 = 0;
export const RMAX: i32 = 1;
export const RMIN: i32 = 2;
