/** Weight initialisers (book ch. 6): fixed std, Xavier/Glorot and He. */
import { normal, uniform, type Key } from '../random.ts';
import type { Shape, Tensor } from '../tensor.ts';

/** Draws a weight tensor given its fan-in and fan-out. */
export type Initializer = (key: Key, shape: Shape, fanIn: number, fanOut: number) => Tensor;

/** Normal with a fixed standard deviation (the book's default 0.01). */
export const fixedStd = (std = 0.01): Initializer => (k, shape) => normal(k, shape, 0, std);

/** The book's "Xavier": normal with std √(1/fanIn). */
export const xavier = (): Initializer => (k, shape, fanIn) => normal(k, shape, 0, Math.sqrt(1 / fanIn));

/** Glorot normal: std √(2/(fanIn+fanOut)). */
export const glorotNormal = (): Initializer => (k, shape, fanIn, fanOut) =>
  normal(k, shape, 0, Math.sqrt(2 / (fanIn + fanOut)));

/** Glorot uniform: U(−a, a) with a = √(6/(fanIn+fanOut)). */
export const glorotUniform = (): Initializer => (k, shape, fanIn, fanOut) => {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  return uniform(k, shape, -a, a);
};

/** He: normal with std √(2/fanIn), for ReLU networks. */
export const he = (): Initializer => (k, shape, fanIn) => normal(k, shape, 0, Math.sqrt(2 / fanIn));

/** Initialisers by the names the command line uses. */
export const initializers: Readonly<Record<'std' | 'xavier' | 'he' | 'glorot-normal' | 'glorot-uniform', Initializer>> = {
  std: fixedStd(0.01),
  xavier: xavier(),
  he: he(),
  'glorot-normal': glorotNormal(),
  'glorot-uniform': glorotUniform(),
};
