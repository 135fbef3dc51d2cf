/** GEMM blocking constants: the 4×8 register tile and the cache blocks around it. */

/** Rows of C per micro-tile (4 × 2 accumulators stay in registers; 6 rows spilled). */
export const MR: i32 = 4;
/** Columns of C per micro-tile: two f32x4 vectors. */
export const NR: i32 = 8;
/** Depth of one packed block: a B micro-panel (KC×NR) stays in L1. */
export const KC: i32 = 256;
/** Rows of one packed A block (MC×KC floats = 128 KiB, in L2). */
export const MC: i32 = 128;
/** Columns of one packed B block (KC×NC floats, in L3). */
export const NC: i32 = 2048;
