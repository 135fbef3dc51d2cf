/** tenfold: functional, immutable tensors and deep learning for TypeScript. */
export * from './entry/core.ts';
export * from './data/book-weights.ts';
