/** A sliding-window geometry, read from the 12 i32s the glue writes (see Window2D). */
@unmanaged export class Geometry {
  n: i32; c: i32; h: i32; w: i32;
  kh: i32; kw: i32;
  strideH: i32; strideW: i32;
  padH: i32; padW: i32;
  oh: i32; ow: i32;
}
