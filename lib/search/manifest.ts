/** search.json: what a search directory holds (the space, the seed, each trial's configuration), decoded with io-ts. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { decodeE, getOrThrow } from '../decode.ts';
import { JobConfigC, type JobConfig } from '../jobs/config.ts';
import { writeAtomic } from '../train/checkpoint-files.ts';
import type { SearchSpace } from './sample.ts';

const RangeC = t.type({ low: t.number, high: t.number });

const SearchManifestC = t.type({
  format: t.literal('tenfold-search'),
  version: t.literal(1),
  seed: t.number,
  space: t.type({ lr: RangeC, weightDecay: RangeC }),
  trials: t.array(t.type({ index: t.number, dir: t.string, config: JobConfigC })),
});

/** One trial: its index (which picks its sample), checkpoint directory (relative) and configuration (with the sampled values). */
export interface SearchTrial {
  readonly index: number;
  readonly dir: string;
  readonly config: JobConfig;
}

/** The contents of search.json. */
export interface SearchManifest {
  readonly format: 'tenfold-search';
  readonly version: 1;
  readonly seed: number;
  readonly space: SearchSpace;
  readonly trials: readonly SearchTrial[];
}

/** File name of the manifest inside a search directory. */
export const SEARCH_FILE = 'search.json';

/** Reads and checks a search directory's manifest; Left an Error naming the file and every bad field. */
export const readSearchManifestE = (dir: string): E.Either<Error, SearchManifest> => {
  const file = join(dir, SEARCH_FILE);
  if (!existsSync(file)) return E.left(new Error(`${file}: not found (is ${dir} a directory written by tenfold search?)`));
  return pipe(
    E.tryCatch(() => readFileSync(file, 'utf8'), (err) => new Error(`${file}: cannot read: ${(err as Error).message}`)),
    E.flatMap((text) => E.tryCatch((): unknown => JSON.parse(text), (err) => new Error(`${file}: not valid JSON: ${(err as Error).message}`))),
    E.flatMap(decodeE(SearchManifestC, file)),
  );
};

/** `readSearchManifestE`, throwing. */
export const readSearchManifest = (dir: string): SearchManifest => getOrThrow(readSearchManifestE(dir));

/** Writes the manifest atomically (temporary file, then rename) into an existing directory. */
export const writeSearchManifest = (dir: string, m: SearchManifest): void =>
  writeAtomic(dir, SEARCH_FILE, new TextEncoder().encode(`${JSON.stringify(m, null, 2)}\n`));
