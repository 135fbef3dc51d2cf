/**
 * Decoding with io-ts, and the one place its errors are turned into messages.
 *
 * Every reader that checks a value with a codec (checkpoint manifests and pointers, `.npy`
 * headers, ensemble.json, job metadata, command-line flags) reports through `describeErrors`:
 * one error per bad field, named by its path ("history.loss.1"), union branches merged
 * ("expected X or Y"), and only the deepest failures kept. `decodeE` is the Either form of a
 * decode, `getOrThrow` the one edge from an Either to an exception.
 *
 * This module depends on io-ts and fp-ts only, so every folder of lib/ may use it.
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';

/** One bad field of a decode: where it is, what was expected there, and what was found. */
export interface DecodeFailure {
  /** Dotted path from the root ("history.loss.1"); '' for the value itself. */
  readonly field: string;
  /** Names of the codecs that refused it (several when union branches disagree). */
  readonly expected: readonly string[];
  /** The value found; undefined when the field is missing. */
  readonly value: unknown;
  /** Messages a codec gave with its failure (`t.failure(u, c, message)`), e.g. the CLI codecs'. */
  readonly messages: readonly string[];
}

type Tagged = { readonly _tag?: string; readonly type?: unknown };
// codecs that validate with the codec they wrap (`type`) in their own context entry
const WRAPPERS: ReadonlySet<string> = new Set(['RecursiveType', 'ReadonlyType', 'ExactType', 'StrictType', 'RefinementType']);
// a union or intersection (possibly behind t.recursion, t.readonly, t.exact, a refinement) adds its
// branch numbers to the path: they are not fields
const isUnion = (type: unknown): boolean => {
  const tt = type as Tagged;
  return tt._tag === 'UnionType' || tt._tag === 'IntersectionType' || (WRAPPERS.has(tt._tag ?? '') && isUnion(tt.type));
};

/** The errors of a decode by field, union branches merged, only the deepest failures kept. */
export const decodeFailures = (errors: t.Errors): readonly DecodeFailure[] => {
  const byField = new Map<string, { expected: string[]; value: unknown; messages: string[] }>();
  const add = (list: string[], s: string): void => { if (!list.includes(s)) list.push(s); };
  for (const e of errors) {
    let field = '';
    for (let i = 0; i < e.context.length; i++) {
      const key = e.context[i].key;
      if (key !== '' && (i === 0 || !isUnion(e.context[i - 1].type))) field = field === '' ? key : `${field}.${key}`;
    }
    let entry = byField.get(field);
    if (entry === undefined) byField.set(field, entry = { expected: [], value: e.value, messages: [] });
    add(entry.expected, e.context[e.context.length - 1]?.type.name ?? 'a value');
    if (e.message !== undefined) add(entry.messages, e.message);
  }
  // where a union's other branch got further inside, only the deeper failures are news
  // (the set of every field's ancestors keeps this linear: a hostile file can bring many errors)
  const ancestors = new Set<string>();
  for (const field of byField.keys()) {
    if (field === '') continue;
    ancestors.add('');
    for (let i = field.indexOf('.'); i >= 0; i = field.indexOf('.', i + 1)) ancestors.add(field.slice(0, i));
  }
  return [...byField]
    .filter(([field]) => !ancestors.has(field))
    .map(([field, { expected, value, messages }]) => ({ field, expected, value, messages }));
};

/** Most failures one message lists; the rest are counted. */
export const MAX_REPORTED_FAILURES = 10;

/** A found value for a message: JSON, shortened past 60 characters; NaN and ±Infinity as such. */
export const showValue = (u: unknown): string => {
  if (u === undefined) return 'nothing (missing)';
  if (typeof u === 'number' && !Number.isFinite(u)) return String(u);
  const s = JSON.stringify(u);
  return s === undefined ? String(u) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/**
 * The usual phrasing of one failure: `field "a.b": expected X or Y, got V`; a codec's own message
 * replaces "expected …, got …"; the value itself (field '') is not called a field.
 */
export const fieldPhrase = (f: DecodeFailure): string => {
  const what = f.messages.length > 0 ? f.messages.join('; ') : `expected ${f.expected.join(' or ')}, got ${showValue(f.value)}`;
  return f.field === '' ? what : `field "${f.field}": ${what}`;
};

/**
 * Every decode error as one message, failures joined by "; " (past MAX_REPORTED_FAILURES, the
 * rest counted: "; and 41 more"). `phrase` words each failure
 * (default `fieldPhrase`); only a format with its own established wording passes another.
 */
export const describeErrors = (errors: t.Errors, phrase: (f: DecodeFailure) => string = fieldPhrase): string => {
  const failures = decodeFailures(errors);
  const shown = failures.slice(0, MAX_REPORTED_FAILURES).map(phrase);
  const more = failures.length - shown.length;
  return more > 0 ? `${shown.join('; ')}; and ${more} more` : shown.join('; ');
};

/** A value a codec refused: the message is "<source>: <describeErrors>"; `errors` are io-ts's own. */
export class DecodeError extends Error {
  constructor(readonly source: string, readonly errors: t.Errors, phrase?: (f: DecodeFailure) => string) {
    super(`${source}: ${describeErrors(errors, phrase)}`);
    this.name = 'DecodeError';
  }
}

/** Decodes with a codec: Right the value, or Left a DecodeError naming the source and every bad field. */
export const decodeE = <A>(codec: t.Decoder<unknown, A>, source: string) => (value: unknown): E.Either<DecodeError, A> =>
  pipe(codec.decode(value), E.mapLeft((errors) => new DecodeError(source, errors)));

/** The edge from an Either to an exception: the Right value, or the Left error thrown. */
export const getOrThrow = <Err extends Error, A>(e: E.Either<Err, A>): A => {
  if (E.isLeft(e)) throw e.left;
  return e.right;
};

/** Decodes with a codec or throws a DecodeError naming the source and every bad field. */
export const decodeOrThrow = <A>(codec: t.Decoder<unknown, A>, value: unknown, source: string): A =>
  getOrThrow(decodeE(codec, source)(value));
