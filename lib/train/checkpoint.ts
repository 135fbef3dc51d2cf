/**
 * Checkpoints: everything needed to resume training bit for bit (parameters, layer state,
 * optimizer state, run key, step, epoch, history) plus free metadata, saved crash-safely.
 *
 * On disk, in one directory:
 *   ckpt-e0003-s00001800.bin   tensor bytes, each tensor 8-byte aligned, little-endian
 *   ckpt-e0003-s00001800.json  manifest: tensor table (path, dtype, shape, offset, length),
 *                              SHA-256 and size of the .bin, tree structure, the rest
 *   latest.json                pointer to the current manifest (with its SHA-256)
 * A save writes a new pair under a name no pointer refers to, then atomically renames
 * latest.json: the rename is the commit. A crash before it leaves the old pointer, whose
 * pair was never touched; a crash after it finds the new pair already durable. Old pairs
 * are removed only once the new pointer is in place.
 *
 * Loading has Either forms, `loadCheckpointE` and `findResumableE` (Left: a CheckpointError),
 * each a chain of checks; `loadCheckpoint` and `findResumable` throw their Left.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { decodeOrThrow, describeErrors, getOrThrow } from '../decode.ts';
import type { Key } from '../random.ts';
import { allocate, sameShape, showShape, sizeOf, wrap, type Tensor } from '../tensor.ts';
import { unsafeMutableData } from '../tensor-unsafe.ts';
import { isTensor, leaves, type Tree, type TreeRecord } from '../tree.ts';
import { commit, discard, stage, sweep, TEMP_MARKER, type Staged } from './checkpoint-files.ts';
import {
  FORMAT, ManifestC, PointerC, POINTER_FORMAT, VERSION,
  type Json, type Manifest, type Pointer, type Skeleton, type TensorEntry,
} from './checkpoint-format.ts';
import type { History, TrainState } from './fit.ts';

export type { Json } from './checkpoint-format.ts';

/** What a checkpoint holds. */
export interface Checkpoint {
  readonly params: TreeRecord;
  /** Layer state (batch-norm running statistics). */
  readonly state: TreeRecord;
  readonly optState: TreeRecord;
  /** The run key (fit derives shuffles, dropout and augmentation keys from it). */
  readonly key: Key;
  readonly step: number;
  readonly epoch: number;
  /** Steps taken in the unfinished epoch (absent or 0 for a save at an epoch's end). */
  readonly epochStep?: number;
  readonly history: History;
  /** Free JSON metadata: model name, flags, dataset, ... */
  readonly metadata: Readonly<Record<string, Json>>;
}

/** A refused checkpoint: `file` is the file at fault; the message says what is wrong. */
export class CheckpointError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

/** Name of the pointer file that marks the current checkpoint of a directory. */
export const LATEST = 'latest.json';

/** A checkpoint of a training state and its history. */
export const checkpointOf = (ts: TrainState, history: History, metadata: Readonly<Record<string, Json>> = {}): Checkpoint =>
  ({ params: ts.params, state: ts.state, optState: ts.optState, key: ts.key, step: ts.step, epoch: ts.epoch, epochStep: ts.epochStep ?? 0, history, metadata });

/** The training state stored in a checkpoint, ready to pass to `fit`. */
export const trainStateOf = (c: Checkpoint): TrainState =>
  ({ params: c.params, state: c.state, optState: c.optState, key: c.key, step: c.step, epoch: c.epoch, epochStep: c.epochStep });

const TREES = ['params', 'state', 'optState'] as const;
type TreeName = (typeof TREES)[number];
const BYTES: Readonly<Record<Tensor['dtype'], number>> = { float32: 4, float64: 8 };
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const checkLittleEndian = (): void => {
  // tensors are stored as their in-memory bytes; every platform Node ships on is little-endian
  if (endianness() !== 'LE') throw new Error('checkpoints: this machine is big-endian; only little-endian is supported');
};

// ---- packing -------------------------------------------------------------------------

interface Packed { readonly manifest: Manifest; readonly binary: Uint8Array }

/** Tensors of all trees in one table, trees as skeletons of table indices (keeps empty records). */
const pack = (c: Checkpoint, binaryName: string): Packed => {
  const table: { readonly path: string; readonly t: Tensor }[] = [];
  const skeleton = (node: Tree, path: string): Skeleton => {
    if (isTensor(node)) { table.push({ path, t: node }); return table.length - 1; }
    if (typeof node !== 'object' || node === null) throw new Error(`saveCheckpoint: "${path}" is neither a tensor nor a record`);
    return Object.fromEntries(Object.keys(node).map((k) => [k, skeleton(node[k], `${path}/${k}`)]));
  };
  const trees = Object.fromEntries(TREES.map((name) => [name, skeleton(c[name], name)])) as Manifest['trees'];
  let offset = 0;
  const tensors: TensorEntry[] = table.map(({ path, t }) => {
    offset = Math.ceil(offset / 8) * 8;
    const entry = { path, dtype: t.dtype, shape: [...t.shape], offset, length: t.size * BYTES[t.dtype] };
    offset += entry.length;
    return entry;
  });
  const binary = new Uint8Array(offset);
  table.forEach(({ t }, i) => {
    const b = unsafeMutableData(t);
    binary.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), tensors[i].offset);
  });
  const manifest = {
    format: FORMAT, version: VERSION, byteOrder: 'little', binary: binaryName, binaryBytes: binary.length, sha256: sha256(binary),
    tensors, trees, key: [c.key[0], c.key[1]], step: c.step, epoch: c.epoch,
    // written only mid-epoch, so a save at an epoch's end has the same bytes as before
    ...((c.epochStep ?? 0) > 0 ? { epochStep: c.epochStep } : {}),
    history: { loss: c.history.loss, epochs: c.history.epochs }, metadata: c.metadata,
  };
  // refuse now what loading would refuse later (NaN in the history, a bad key, ...)
  return { manifest: decodeOrThrow(ManifestC, manifest, 'saveCheckpoint: cannot save'), binary };
};

// ---- saving --------------------------------------------------------------------------

/** Options of `saveCheckpoint`. */
export interface SaveOptions {
  /** How many checkpoints (the new one included) to keep on disk; default 2. */
  readonly keep?: number;
}

/** A save whose files are written under temporary names but not yet in place. */
export interface PendingSave {
  readonly dir: string;
  /** In commit order: binary, manifest, pointer. */
  readonly files: readonly [Staged, Staged, Staged];
  /** Manifest names the new pointer keeps, newest first. */
  readonly kept: readonly string[];
  /**
   * Manifests the old pointer named that the new one drops: the only pairs the commit removes.
   * Files no pointer named (a run whose latest.json was lost, strays) are never removed.
   */
  readonly dropped: readonly string[];
}

/** The pointer in `dir`; undefined when there is none or it is unreadable (a save replaces it). */
const readPointerIfAny = (dir: string): Pointer | undefined => {
  const file = join(dir, LATEST);
  if (!existsSync(file)) return undefined;
  return pipe(readFileE(file, 'pointer'), E.flatMap(parseJsonE(file)), E.flatMap(decodeIn(PointerC, file)), E.getOrElseW(() => undefined));
};

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The six points of a save, in order: each file staged (written, fsynced), then each renamed into place. */
export const SAVE_POINTS = ['binary staged', 'manifest staged', 'pointer staged', 'binary renamed', 'manifest renamed', 'pointer renamed'] as const;
/** One of `SAVE_POINTS`. */
export type SavePoint = (typeof SAVE_POINTS)[number];

let savePointHook: ((point: SavePoint) => void) | undefined;

/**
 * Test-only: calls `hook` as each save passes each point (the fault suite kills the process there
 * to show that a crash at any point leaves the last checkpoint whole). undefined removes it.
 */
export const setSavePointHookForTests = (hook: ((point: SavePoint) => void) | undefined): void => { savePointHook = hook; };

/** Writes and fsyncs a checkpoint's three files under temporary names (step one of a save). */
export const stageCheckpoint = (dir: string, c: Checkpoint, options: SaveOptions = {}): PendingSave => {
  checkLittleEndian();
  const keep = options.keep ?? 2;
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`saveCheckpoint: keep must be a whole number ≥ 1, got ${keep}`);
  if (!existsSync(dir)) {
    // one level only: a recursive mkdir spins forever on procfs in Node 20
    try { mkdirSync(dir); } catch (err) { throw new Error(`saveCheckpoint: cannot create ${dir}: ${(err as Error).message}`); }
  }
  const old = readPointerIfAny(dir); // a broken pointer is replaced, its pairs kept
  const referenced = new Set(old ? [old.manifest, ...old.previous] : []);
  // never reuse a name the current pointer refers to: that pair must stay whole until the commit
  const base = `ckpt-e${pad(c.epoch, 4)}-s${pad(c.step, 8)}`;
  let stem = base;
  for (let n = 2; referenced.has(`${stem}.json`); n++) stem = `${base}-${n}`;
  const { manifest, binary } = pack(c, `${stem}.bin`);
  const manifestBytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`);
  const chain = [`${stem}.json`, ...(old ? [old.manifest, ...old.previous] : [])];
  const kept = chain.slice(0, keep);
  const pointer: Pointer = {
    format: POINTER_FORMAT, version: VERSION, manifest: kept[0], manifestSha256: sha256(manifestBytes), previous: kept.slice(1),
  };
  const done: Staged[] = [];
  try {
    done.push(stage(join(dir, `${stem}.bin`), binary));
    savePointHook?.('binary staged');
    done.push(stage(join(dir, `${stem}.json`), manifestBytes));
    savePointHook?.('manifest staged');
    done.push(stage(join(dir, LATEST), new TextEncoder().encode(`${JSON.stringify(pointer, null, 2)}\n`)));
    savePointHook?.('pointer staged');
  } catch (err) {
    done.forEach(discard);
    throw err;
  }
  return { dir, files: [done[0], done[1], done[2]], kept, dropped: chain.slice(keep) };
};

const isCheckpointFile = (name: string): boolean => /^ckpt-.+\.(bin|json)$/.test(name);

/** Puts a staged save in place: the pair first (made durable), then the pointer; then sweeps old pairs. */
export const commitCheckpoint = (p: PendingSave): void => {
  const [bin, manifest, pointer] = p.files;
  commit(p.dir, [bin]);
  savePointHook?.('binary renamed');
  commit(p.dir, [manifest]);
  savePointHook?.('manifest renamed');
  commit(p.dir, [pointer]);
  savePointHook?.('pointer renamed');
  const gone = new Set(p.dropped.filter((m) => !p.kept.includes(m)).flatMap((m) => [m, m.replace(/\.json$/, '.bin')]));
  // also the temporary files of a save that crashed before its commit (the run lock rules out a live one)
  sweep(p.dir, (name) => gone.has(name) || ((name.startsWith('ckpt-') || name.startsWith(LATEST)) && name.includes(TEMP_MARKER)));
};

/**
 * Saves a checkpoint into `dir` (created if missing) crash-safely: until the final rename the
 * previous checkpoint stays the loadable one. Returns the new manifest's path.
 */
export const saveCheckpoint = (dir: string, c: Checkpoint, options: SaveOptions = {}): string => {
  const pending = stageCheckpoint(dir, c, options);
  commitCheckpoint(pending);
  return join(dir, pending.kept[0]);
};

// ---- loading -------------------------------------------------------------------------

/** Trees the checkpoint must match (paths and shapes), e.g. a freshly initialised TrainState. */
export interface Expected {
  readonly params?: TreeRecord;
  readonly state?: TreeRecord;
  readonly optState?: TreeRecord;
}

/** Options of `loadCheckpoint`. */
export interface LoadOptions {
  /** Refuse a checkpoint whose trees do not have these paths and shapes. */
  readonly expect?: Expected;
}

const readFileE = (file: string, what: string): E.Either<CheckpointError, Uint8Array> =>
  E.tryCatch((): Uint8Array => readFileSync(file), (err) => new CheckpointError(file, `cannot read the ${what}: ${(err as Error).message}`));

const parseJsonE = (file: string) => (bytes: Uint8Array): E.Either<CheckpointError, unknown> =>
  E.tryCatch(
    (): unknown => JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)),
    (err) => new CheckpointError(file, `not valid JSON (${(err as Error).message})`),
  );

const decodeIn = <A>(codec: t.Decoder<unknown, A>, file: string) => (value: unknown): E.Either<CheckpointError, A> =>
  pipe(codec.decode(value), E.mapLeft((errors) => new CheckpointError(file, `invalid: ${describeErrors(errors)}`)));

/** A file of another format or version is named as such before its fields are checked. */
const checkFormat = (format: string, file: string) => (json: unknown): E.Either<CheckpointError, unknown> => {
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (o.format !== format) return E.left(new CheckpointError(file, `not a ${format} file (field "format" is ${JSON.stringify(o.format) ?? 'missing'})`));
  if (o.version !== VERSION) {
    return E.left(new CheckpointError(file, `field "version" is ${JSON.stringify(o.version) ?? 'missing'}; this tenfold reads version ${VERSION} only`));
  }
  return E.right(json);
};

/** The binary a manifest names, checked against the size and SHA-256 it records. */
const binaryOf = (m: Manifest, file: string): E.Either<CheckpointError, Uint8Array> => {
  const binFile = join(dirname(file), m.binary);
  return pipe(readFileE(binFile, `binary named by ${basename(file)}`), E.flatMap((bin) => {
    if (bin.length < m.binaryBytes) {
      return E.left(new CheckpointError(binFile, `truncated: ${bin.length} bytes, but ${basename(file)} says ${m.binaryBytes}`));
    }
    if (bin.length > m.binaryBytes) {
      return E.left(new CheckpointError(binFile, `${bin.length} bytes, but ${basename(file)} says ${m.binaryBytes} (trailing data)`));
    }
    const actual = sha256(bin);
    if (actual !== m.sha256) {
      return E.left(new CheckpointError(binFile, `checksum mismatch: SHA-256 is ${actual} but ${basename(file)} says ${m.sha256} (corrupt, or not the binary of this manifest)`));
    }
    return E.right(bin);
  }));
};

/** One tensor of the table, its byte range checked against its shape and the binary. */
const tensorOf = (m: Manifest, bin: Uint8Array, file: string) => (e: TensorEntry): E.Either<CheckpointError, Tensor> => {
  const n = sizeOf(e.shape);
  if (e.length !== n * BYTES[e.dtype]) {
    return E.left(new CheckpointError(file, `tensor "${e.path}": shape ${showShape(e.shape)} ${e.dtype} needs ${n * BYTES[e.dtype]} bytes but the manifest gives ${e.length}`));
  }
  if (e.offset + e.length > m.binaryBytes) {
    return E.left(new CheckpointError(file, `tensor "${e.path}": bytes ${e.offset}..${e.offset + e.length} lie beyond the end of ${m.binary} (${m.binaryBytes} bytes)`));
  }
  const data = allocate(e.dtype, n);
  new Uint8Array(data.buffer).set(bin.subarray(e.offset, e.offset + e.length));
  return E.right(wrap(data, e.shape));
};

/** A tree from its skeleton, each index checked to name the tensor of that path. */
const treeOf = (m: Manifest, tensors: readonly Tensor[], file: string) => {
  const build = (s: Skeleton, path: string): E.Either<CheckpointError, Tree> => {
    if (typeof s === 'number') {
      const e = m.tensors[s];
      if (e === undefined) return E.left(new CheckpointError(file, `tree "${path}" refers to tensor #${s}, but the table has ${m.tensors.length}`));
      if (e.path !== path) return E.left(new CheckpointError(file, `tree "${path}" refers to tensor #${s}, whose path is "${e.path}"`));
      return E.right(tensors[s]);
    }
    return pipe(
      Object.keys(s),
      E.traverseArray((k) => pipe(build(s[k], `${path}/${k}`), E.map((t) => [k, t] as const))),
      E.map((entries): Tree => Object.fromEntries(entries)),
    );
  };
  return (name: TreeName): E.Either<CheckpointError, TreeRecord> => build(m.trees[name], name) as E.Either<CheckpointError, TreeRecord>;
};

/** Reads and checks a manifest and its binary file; Right the checkpoint it describes. */
const loadManifestE = (file: string, expectedSha?: string): E.Either<CheckpointError, Checkpoint> => {
  checkLittleEndian();
  return pipe(
    readFileE(file, 'manifest'),
    E.filterOrElse((bytes) => expectedSha === undefined || sha256(bytes) === expectedSha, (bytes) =>
      new CheckpointError(file, `SHA-256 ${sha256(bytes)} differs from ${expectedSha} recorded in ${LATEST}: the manifest was changed or damaged`)),
    E.flatMap(parseJsonE(file)),
    E.flatMap(checkFormat(FORMAT, file)),
    E.flatMap(decodeIn(ManifestC, file)),
    E.bindTo('m'),
    E.bind('bin', ({ m }) => binaryOf(m, file)),
    E.bind('tensors', ({ m, bin }) => pipe(m.tensors, E.traverseArray(tensorOf(m, bin, file)))),
    E.let('tree', ({ m, tensors }) => treeOf(m, tensors, file)),
    E.bind('params', ({ tree }) => tree('params')),
    E.bind('state', ({ tree }) => tree('state')),
    E.bind('optState', ({ tree }) => tree('optState')),
    E.map(({ m, params, state, optState }): Checkpoint => ({
      params, state, optState,
      key: [m.key[0], m.key[1]] as Key, step: m.step, epoch: m.epoch, epochStep: m.epochStep ?? 0,
      history: { loss: [...m.history.loss], epochs: m.history.epochs.map((e) => ({ ...e })) },
      metadata: m.metadata,
    })),
  );
};

/** Every difference of paths and shapes between a checkpoint's trees and the expected ones. */
export const treeMismatches = (c: Checkpoint, expect: Expected): readonly string[] => {
  const problems: string[] = [];
  for (const name of TREES) {
    const want = expect[name];
    if (want === undefined) continue;
    const have = new Map(leaves(c[name]).map(([p, t]) => [p, t]));
    const wanted = new Map(leaves(want).map(([p, t]) => [p, t]));
    for (const [p, t] of wanted) {
      const h = have.get(p);
      if (h === undefined) problems.push(`${name} "${p}" (shape ${showShape(t.shape)}) is in the model but not in the checkpoint`);
      else if (!sameShape(h.shape, t.shape)) problems.push(`${name} "${p}" has shape ${showShape(h.shape)} in the checkpoint but ${showShape(t.shape)} in the model`);
      else if (h.dtype !== t.dtype) problems.push(`${name} "${p}" is ${h.dtype} in the checkpoint but ${t.dtype} in the model`);
    }
    for (const [p, h] of have) if (!wanted.has(p)) problems.push(`${name} "${p}" (shape ${showShape(h.shape)}) is in the checkpoint but not in the model`);
  }
  return problems;
};

/** The checkpoint files in `dir` (pairs, pointer; not temporaries), none if it does not exist. */
export const checkpointFiles = (dir: string): readonly string[] => {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir).filter((n) => !n.includes(TEMP_MARKER) && (isCheckpointFile(n) || n === LATEST)).sort();
};

/** Whether `dir` holds any checkpoint file (a pointer or a pair, whole or damaged). */
export const hasCheckpoint = (dir: string): boolean => checkpointFiles(dir).length > 0;

/** A checkpoint found for resuming, and whether it had to be found without a good pointer. */
export interface Resumable {
  readonly checkpoint: Checkpoint;
  /** The manifest it was loaded from. */
  readonly manifest: string;
  /** Why the pointer was not followed (missing, damaged, its pair damaged); undefined when it was. */
  readonly recoveredBecause?: string;
}

/** Epoch, step and repeat number of a manifest name, for ordering newest first. */
const orderOf = (name: string): readonly number[] => {
  const m = /^ckpt-e(\d+)-s(\d+)(?:-(\d+))?\.json$/.exec(name);
  return m === null ? [-1, -1, -1] : [Number(m[1]), Number(m[2]), Number(m[3] ?? 1)];
};
const newestFirst = (a: string, b: string): number => {
  const [x, y] = [orderOf(a), orderOf(b)];
  return y[0] - x[0] || y[1] - x[1] || y[2] - x[2];
};

/** A loaded checkpoint and the manifest it came from. */
interface Loaded {
  readonly checkpoint: Checkpoint;
  readonly manifest: string;
}

/**
 * The checkpoint to resume in `dir`: the one latest.json names, or, when the pointer is missing
 * or damaged or its pair does not verify, the newest pair whose checksums verify. Right undefined
 * when `dir` holds no checkpoint file at all; Left a CheckpointError naming every file when none
 * verifies, or the current one does not fit (no older one is tried then). Never writes.
 */
export const findResumableE = (dir: string, options: LoadOptions = {}): E.Either<CheckpointError, Resumable | undefined> => {
  const files = checkpointFiles(dir);
  if (files.length === 0) return E.right(undefined);
  const viaPointer: E.Either<string, Loaded> = files.includes(LATEST)
    ? pipe(loadCurrentE(dir), E.mapLeft((err) => err.message))
    : E.left(`${LATEST} is missing`);
  return pipe(viaPointer, E.match(
    (because) => newestVerifying(dir, files, because, options),
    (current) => pipe(fits(current.checkpoint, current.manifest, options), E.map(() => current)),
  ));
};

/** `findResumableE`, throwing. */
export const findResumable = (dir: string, options: LoadOptions = {}): Resumable | undefined => getOrThrow(findResumableE(dir, options));

/** The newest pair of `files` that verifies (it must fit), recovered `because` the pointer could not be followed. */
const newestVerifying = (dir: string, files: readonly string[], because: string, options: LoadOptions): E.Either<CheckpointError, Resumable> => {
  const problems: string[] = [];
  for (const name of files.filter((n) => n.endsWith('.json') && n !== LATEST).sort(newestFirst)) {
    const manifest = join(dir, name);
    const loaded = loadManifestE(manifest);
    if (E.isLeft(loaded)) {
      problems.push(loaded.left.message);
      continue;
    }
    return pipe(fits(loaded.right, manifest, options), E.map((checkpoint) => ({ checkpoint, manifest, recoveredBecause: because })));
  }
  return E.left(new CheckpointError(dir, `no checkpoint here verifies (${because}${problems.length > 0 ? `; ${problems.join('; ')}` : '; no ckpt-*.json manifest'})`));
};

/**
 * Loads the current checkpoint of `dir` (via latest.json), or the manifest at `path` when it
 * names a `.json` file. Left a CheckpointError naming the file and the problem for anything
 * damaged, inconsistent or (with `expect`) not fitting the model. Never writes.
 */
export const loadCheckpointE = (path: string, options: LoadOptions = {}): E.Either<CheckpointError, Checkpoint> => pipe(
  path.endsWith('.json') && existsSync(path) && statSync(path).isFile()
    ? pipe(loadManifestE(path), E.map((checkpoint): Loaded => ({ checkpoint, manifest: path })))
    : loadCurrentE(path),
  E.flatMap(({ checkpoint, manifest }) => fits(checkpoint, manifest, options)),
);

/** `loadCheckpointE`, throwing. */
export const loadCheckpoint = (path: string, options: LoadOptions = {}): Checkpoint => getOrThrow(loadCheckpointE(path, options));

/** The checkpoint latest.json names in `dir`, and its manifest's path. */
const loadCurrentE = (dir: string): E.Either<CheckpointError, Loaded> => {
  const pointerFile = join(dir, LATEST);
  if (!existsSync(pointerFile)) {
    return E.left(new CheckpointError(dir, existsSync(dir) ? `no checkpoint here (no ${LATEST})` : 'no such directory'));
  }
  return pipe(
    readFileE(pointerFile, 'pointer'),
    E.flatMap(parseJsonE(pointerFile)),
    E.flatMap(checkFormat(POINTER_FORMAT, pointerFile)),
    E.flatMap(decodeIn(PointerC, pointerFile)),
    E.flatMap((pointer) => {
      const manifest = join(dir, pointer.manifest);
      const earlier = pointer.previous.map((p) => join(dir, p)).join(', ');
      return pipe(
        loadManifestE(manifest, pointer.manifestSha256),
        E.map((checkpoint): Loaded => ({ checkpoint, manifest })),
        E.mapLeft((err) => (pointer.previous.length === 0 ? err
          : new CheckpointError(err.file, `${err.message.slice(err.file.length + 2)} (earlier checkpoints, loadable by path: ${earlier})`))),
      );
    }),
  );
};

/** A checkpoint that cannot belong to the model that `options.expect` describes is refused. */
const fits = (c: Checkpoint, manifest: string, options: LoadOptions): E.Either<CheckpointError, Checkpoint> => {
  const problems = options.expect ? treeMismatches(c, options.expect) : [];
  return problems.length > 0 ? E.left(new CheckpointError(manifest, `does not fit the model being resumed: ${problems.join('; ')}`)) : E.right(c);
};
