/** The convolution shapes of the book's networks that the benchmarks time, at batch 100. */

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
