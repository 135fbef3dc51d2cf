/** The peers' names, apart from their loader so that the cases' .d.ts files need no tfjs types. */

/** TensorFlow.js backends we compare with. */
export type TfjsBackend = 'wasm' | 'cpu';

/** The packages the peer rows need, for the message that they are missing. */
export const tfjsPackages: readonly string[] = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'];

/** Library label of a tfjs backend in result rows. */
export const tfjsLabel = (backend: TfjsBackend): string => `tfjs-${backend}`;
