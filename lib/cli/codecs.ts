/** io-ts codecs that decode command-line strings into checked values. */
import * as t from 'io-ts';

const fromString = <A>(name: string, parse: (s: string) => A | undefined): t.Type<A, string, unknown> =>
  new t.Type<A, string, unknown>(
    name,
    (u): u is A => false,
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c, `expected ${name}`);
      const v = parse(u.trim());
      return v === undefined ? t.failure(u, c, `expected ${name}, got "${u}"`) : t.success(v);
    },
    (a) => String(a),
  );

const num = (s: string): number | undefined => (s !== '' && Number.isFinite(Number(s)) ? Number(s) : undefined);

/** A whole number ≥ 1. */
export const PositiveInt = fromString('a whole number ≥ 1', (s) => { const n = num(s); return n !== undefined && Number.isInteger(n) && n >= 1 ? n : undefined; });
/** A whole number ≥ 0. */
export const NonNegativeInt = fromString('a whole number ≥ 0', (s) => { const n = num(s); return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined; });
/** A random seed: a whole number from 0 to 2^53 − 1 (what a key can be made from exactly). */
export const Seed = fromString(`a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`, (s) => { const n = num(s); return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined; });
/** A number > 0. */
export const PositiveNumber = fromString('a number > 0', (s) => { const n = num(s); return n !== undefined && n > 0 ? n : undefined; });
/** A number ≥ 0. */
export const NonNegativeNumber = fromString('a number ≥ 0', (s) => { const n = num(s); return n !== undefined && n >= 0 ? n : undefined; });
/** A number in [0, 1). */
export const Probability = fromString('a number in [0, 1)', (s) => { const n = num(s); return n !== undefined && n >= 0 && n < 1 ? n : undefined; });
/** Comma-separated whole numbers ≥ 1, e.g. "100,50". */
export const PositiveIntList = fromString('comma-separated whole numbers ≥ 1', (s) => {
  const parts = s.split(',').map((p) => num(p.trim()));
  return parts.length > 0 && parts.every((n) => n !== undefined && Number.isInteger(n) && n >= 1) ? parts as number[] : undefined;
});
/** One of the given names. */
export const oneOf = <N extends string>(names: readonly N[]): t.Type<N, string, unknown> =>
  fromString(`one of ${names.join('|')}`, (s) => (names as readonly string[]).includes(s) ? s as N : undefined);
/** Comma-separated names, each one of the given ones. */
export const listOf = <N extends string>(names: readonly N[]): t.Type<readonly N[], string, unknown> =>
  fromString<readonly N[]>(`comma-separated names from ${names.join('|')}`, (s) => {
    const parts = s === '' ? [] : s.split(',').map((p) => p.trim());
    return parts.every((p) => (names as readonly string[]).includes(p)) ? parts as N[] : undefined;
  });
