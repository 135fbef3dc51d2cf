/** GEMM blocking constants: the register tile and the cache blocks around it. */

/**
 * Rows of C per micro-tile. 6×8 keeps 12 FMA chains in flight (enough to hide FMA latency);
 * the plain build needs a temporary per mul+add, so it spills at 6 rows and uses 5.
 */
export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
/** Columns of C per micro-tile: two f32x4 vectors. */
export const NR: i32 = 8;
/** Depth of one packed block: a B micro-panel (KC×NR floats, 8 KiB) stays in L1. */
export const KC: i32 = 256;
/** Rows of one packed A block (MC×KC floats = 120 KiB, stays in L2); a multiple of MR. */
export const MC: i32 = 120;
/** Columns of one packed B block (KC×NC floats, in L3). */
export const NC: i32 = 2048;
