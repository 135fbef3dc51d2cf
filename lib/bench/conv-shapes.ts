/** The convolution (and batch-norm) shapes of the book's networks that the benchmarks time, at batch 100. */

/** One convolution: input channels c, square input hw, f filters of k×k, padding. */
export interface ConvShape { readonly name: string; readonly c: number; readonly hw: number; readonly f: number; readonly k: number; readonly pad: number }

/** Batch size of every layer benchmark (the book's). */
export const BATCH = 100;

/** SimpleConvNet's conv and three DeepConvNet convs (conv4 is the one with padding 2). */
export const convShapes: readonly ConvShape[] = [
  { name: 'simple conv1', c: 1, hw: 28, f: 30, k: 5, pad: 0 },
  { name: 'deep conv2', c: 16, hw: 28, f: 16, k: 3, pad: 1 },
  { name: 'deep conv4', c: 32, hw: 14, f: 32, k: 3, pad: 2 },
  { name: 'deep conv6', c: 64, hw: 8, f: 64, k: 3, pad: 1 },
];

/** The shape column of a convolution's rows. */
export const describeConv = (s: ConvShape): string => `${s.name} ${BATCH}x${s.c}x${s.hw}x${s.hw}*${s.f}@${s.k}x${s.k}p${s.pad}`;

/** Floating-point operations of one forward convolution at batch BATCH. */
export const convFlops = (s: ConvShape): number => {
  const o = s.hw + 2 * s.pad - s.k + 1;
  return 2 * BATCH * o * o * s.f * s.c * s.k * s.k;
};

/** Batch-norm shape [c, h, w]: DeepConvNet-BN's first block. */
export const BN_SHAPE = [16, 28, 28] as const;

/** The shape column of the batch-norm rows. */
export const bnLabel = `${BATCH}x${BN_SHAPE.join('x')} train`;
