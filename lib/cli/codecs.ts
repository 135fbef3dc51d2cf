/**
 * io-ts codecs that decode command-line strings into checked values.
 *
 * Each codec's `is` is the check itself: `decode` parses the string and succeeds only when `is`
 * accepts the result, so `is(decode(s).right)` always holds, and `is` answers for values built
 * in code too (a PositiveInt's `is` accepts 3 and refuses 0, 2.5 and "3").
 */
import * as t from 'io-ts';

/** A codec from a string: `parse` proposes a value, `is` decides; failures say `expected <name>, got "<s>"`. */
const fromString = <A>(name: string, is: (u: unknown) => u is A, parse: (s: string) => unknown, show: (a: A) => string = String): t.Type<A, string, unknown> =>
  new t.Type<A, string, unknown>(
    name,
    is,
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c, `expected ${name}`);
      const v = parse(u.trim());
      return is(v) ? t.success(v) : t.failure(u, c, `expected ${name}, got "${u}"`);
    },
    show,
  );

/** A finite number from its decimal (or exponent) form; undefined for '' and anything else. */
const num = (s: string): number | undefined => (s !== '' && Number.isFinite(Number(s)) ? Number(s) : undefined);

/** A guard of the finite numbers that satisfy `ok`. */
const numberWhere = (ok: (n: number) => boolean) => (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u) && ok(u);

const isPositiveInt = numberWhere((n) => Number.isInteger(n) && n >= 1);

/** A whole number ≥ 1. */
export const PositiveInt = fromString('a whole number ≥ 1', isPositiveInt, num);
/** A whole number ≥ 0. */
export const NonNegativeInt = fromString('a whole number ≥ 0', numberWhere((n) => Number.isInteger(n) && n >= 0), num);
/** A random seed: a whole number from 0 to 2^53 − 1 (what a key can be made from exactly). */
export const Seed = fromString(`a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`, numberWhere((n) => Number.isSafeInteger(n) && n >= 0), num);
/** A number > 0. */
export const PositiveNumber = fromString('a number > 0', numberWhere((n) => n > 0), num);
/** A number ≥ 0. */
export const NonNegativeNumber = fromString('a number ≥ 0', numberWhere((n) => n >= 0), num);
/** A number in [0, 1). */
export const Probability = fromString('a number in [0, 1)', numberWhere((n) => n >= 0 && n < 1), num);
/** Comma-separated whole numbers ≥ 1, e.g. "100,50" (at least one). */
export const PositiveIntList = fromString<readonly number[]>(
  'comma-separated whole numbers ≥ 1',
  (u): u is readonly number[] => Array.isArray(u) && u.length > 0 && u.every(isPositiveInt),
  (s) => s.split(',').map((p) => num(p.trim())),
);

/** A range of positive numbers, LOW < HIGH (what a log-uniform search samples from). */
export interface PositiveRange { readonly low: number; readonly high: number }
const isPositive = numberWhere((n) => n > 0);
const isPositiveRange = (u: unknown): u is PositiveRange => {
  if (typeof u !== 'object' || u === null) return false;
  const { low, high } = u as Record<string, unknown>;
  return isPositive(low) && isPositive(high) && low < high;
};
/** "LOW:HIGH", two numbers > 0 with LOW < HIGH, e.g. "1e-4:1e-1". */
export const PositiveRange = fromString<PositiveRange>(
  'LOW:HIGH, two numbers > 0 with LOW < HIGH',
  isPositiveRange,
  (s) => {
    const parts = s.split(':');
    return parts.length === 2 ? { low: num(parts[0].trim()), high: num(parts[1].trim()) } : undefined;
  },
  (r) => `${r.low}:${r.high}`,
);

/** A guard of membership in `names`. */
const memberOf = <N extends string>(names: readonly N[]) => (u: unknown): u is N => typeof u === 'string' && (names as readonly string[]).includes(u);

/** One of the given names. */
export const oneOf = <N extends string>(names: readonly N[]): t.Type<N, string, unknown> =>
  fromString(`one of ${names.join('|')}`, memberOf(names), (s) => s);
/** Comma-separated names, each one of the given ones ("" is the empty list). */
export const listOf = <N extends string>(names: readonly N[]): t.Type<readonly N[], string, unknown> => {
  const member = memberOf(names);
  return fromString<readonly N[]>(
    `comma-separated names from ${names.join('|')}`,
    (u): u is readonly N[] => Array.isArray(u) && u.every(member),
    (s) => (s === '' ? [] : s.split(',').map((p) => p.trim())),
  );
};
