/** `tenfold/models`: the model zoo (the book's networks, LeNet-5, MLPs) by builder and by name. */
export * from '../models/convnets.ts';
export * from '../models/deep-mlp.ts';
export * from '../models/mlp.ts';
export * from '../models/registry.ts';
export { loadBookNetwork, bookNetworks } from '../data/book-weights.ts';
