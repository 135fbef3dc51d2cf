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
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type * as t from 'io-ts';
import type { Key } from '../random.ts';
import { allocate, buffer, sameShape, showShape, sizeOf, wrap, type Tensor } from '../tensor.ts';
import { isTensor, leaves, type Tree, type TreeRecord } from '../tree.ts';
import { commit, discard, stage, sweep, TEMP_MARKER, type Staged } from './checkpoint-files.ts';
import {
  decodeOrThrow, FORMAT, ManifestC, PointerC, POINTER_FORMAT, VERSION,
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
  ({ params: ts.params, state: ts.state, optState: ts.optState, key: ts.key, step: ts.step, epoch: ts.epoch, history, metadata });

/** The training state stored in a checkpoint, ready to pass to `fit`. */
export const trainStateOf = (c: Checkpoint): TrainState =>
  ({ params: c.params, state: c.state, optState: c.optState, key: c.key, step: c.step, epoch: c.epoch });

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
    const b = buffer(t);
    binary.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), tensors[i].offset);
  });
  const manifest = {
    format: FORMAT, version: VERSION, byteOrder: 'little', binary: binaryName, binaryBytes: binary.length, sha256: sha256(binary),
    tensors, trees, key: [c.key[0], c.key[1]], step: c.step, epoch: c.epoch,
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
  /** False when the old pointer was unreadable: then no old pair is removed (one may be the only good copy). */
  readonly sweepOld: boolean;
}

const readPointerIfAny = (dir: string): Pointer | undefined => {
  const file = join(dir, LATEST);
  return existsSync(file) ? decodeOrThrow(PointerC, parseJson(readFileSync(file), file), file) : undefined;
};

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Writes and fsyncs a checkpoint's three files under temporary names (step one of a save). */
export const stageCheckpoint = (dir: string, c: Checkpoint, options: SaveOptions = {}): PendingSave => {
  checkLittleEndian();
  const keep = options.keep ?? 2;
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`saveCheckpoint: keep must be a whole number ≥ 1, got ${keep}`);
  mkdirSync(dir, { recursive: true });
  let old: Pointer | undefined;
  let sweepOld = true;
  try { old = readPointerIfAny(dir); } catch { sweepOld = false; } // a broken pointer is replaced, its pairs kept
  const referenced = new Set(old ? [old.manifest, ...old.previous] : []);
  // never reuse a name the current pointer refers to: that pair must stay whole until the commit
  const base = `ckpt-e${pad(c.epoch, 4)}-s${pad(c.step, 8)}`;
  let stem = base;
  for (let n = 2; referenced.has(`${stem}.json`); n++) stem = `${base}-${n}`;
  const { manifest, binary } = pack(c, `${stem}.bin`);
  const manifestBytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`);
  const kept = [`${stem}.json`, ...(old ? [old.manifest, ...old.previous] : [])].slice(0, keep);
  const pointer: Pointer = {
    format: POINTER_FORMAT, version: VERSION, manifest: kept[0], manifestSha256: sha256(manifestBytes), previous: kept.slice(1),
  };
  const done: Staged[] = [];
  try {
    done.push(stage(join(dir, `${stem}.bin`), binary));
    done.push(stage(join(dir, `${stem}.json`), manifestBytes));
    done.push(stage(join(dir, LATEST), new TextEncoder().encode(`${JSON.stringify(pointer, null, 2)}\n`)));
  } catch (err) {
    done.forEach(discard);
    throw err;
  }
  return { dir, files: [done[0], done[1], done[2]], kept, sweepOld };
};

const isCheckpointFile = (name: string): boolean => /^ckpt-.+\.(bin|json)$/.test(name);

/** Puts a staged save in place: the pair first (made durable), then the pointer; then sweeps old pairs. */
export const commitCheckpoint = (p: PendingSave): void => {
  const [bin, manifest, pointer] = p.files;
  commit(p.dir, [bin, manifest]);
  commit(p.dir, [pointer]);
  const keep = new Set(p.kept.flatMap((m) => [m, m.replace(/\.json$/, '.bin')]));
  sweep(p.dir, (name) => (p.sweepOld && isCheckpointFile(name) && !keep.has(name))
    || ((name.startsWith('ckpt-') || name.startsWith(LATEST)) && name.includes(TEMP_MARKER)));
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

function parseJson(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new CheckpointError(file, `not valid JSON (${(err as Error).message})`);
  }
}

const readFile = (file: string, what: string): Uint8Array => {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CheckpointError(file, `cannot read the ${what}: ${(err as Error).message}`);
  }
};

const decodeIn = <A>(codec: t.Decoder<unknown, A>, value: unknown, file: string): A => {
  try {
    return decodeOrThrow(codec, value, 'invalid');
  } catch (err) {
    throw new CheckpointError(file, (err as Error).message);
  }
};

const checkFormat = (json: unknown, format: string, file: string): void => {
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (o.format !== format) throw new CheckpointError(file, `not a ${format} file (field "format" is ${JSON.stringify(o.format) ?? 'missing'})`);
  if (o.version !== VERSION) {
    throw new CheckpointError(file, `field "version" is ${JSON.stringify(o.version) ?? 'missing'}; this tenfold reads version ${VERSION} only`);
  }
};

/** Reads and checks a manifest and its binary file; returns the checkpoint it describes. */
const loadManifest = (file: string, expectedSha?: string): Checkpoint => {
  const bytes = readFile(file, 'manifest');
  if (expectedSha !== undefined && sha256(bytes) !== expectedSha) {
    throw new CheckpointError(file, `SHA-256 ${sha256(bytes)} differs from ${expectedSha} recorded in ${LATEST}: the manifest was changed or damaged`);
  }
  const json = parseJson(bytes, file);
  checkFormat(json, FORMAT, file);
  const m = decodeIn(ManifestC, json, file);
  checkLittleEndian();

  const binFile = join(dirname(file), m.binary);
  const bin = readFile(binFile, `binary named by ${basename(file)}`);
  if (bin.length < m.binaryBytes) {
    throw new CheckpointError(binFile, `truncated: ${bin.length} bytes, but ${basename(file)} says ${m.binaryBytes}`);
  }
  if (bin.length > m.binaryBytes) {
    throw new CheckpointError(binFile, `${bin.length} bytes, but ${basename(file)} says ${m.binaryBytes} (trailing data)`);
  }
  const actual = sha256(bin);
  if (actual !== m.sha256) {
    throw new CheckpointError(binFile, `checksum mismatch: SHA-256 is ${actual} but ${basename(file)} says ${m.sha256} (corrupt, or not the binary of this manifest)`);
  }

  const tensors = m.tensors.map((e) => {
    const n = sizeOf(e.shape);
    if (e.length !== n * BYTES[e.dtype]) {
      throw new CheckpointError(file, `tensor "${e.path}": shape ${showShape(e.shape)} ${e.dtype} needs ${n * BYTES[e.dtype]} bytes but the manifest gives ${e.length}`);
    }
    if (e.offset + e.length > m.binaryBytes) {
      throw new CheckpointError(file, `tensor "${e.path}": bytes ${e.offset}..${e.offset + e.length} lie beyond the end of ${m.binary} (${m.binaryBytes} bytes)`);
    }
    const data = allocate(e.dtype, n);
    new Uint8Array(data.buffer).set(bin.subarray(e.offset, e.offset + e.length));
    return wrap(data, e.shape);
  });

  const build = (s: Skeleton, path: string): Tree => {
    if (typeof s === 'number') {
      const e = m.tensors[s];
      if (e === undefined) throw new CheckpointError(file, `tree "${path}" refers to tensor #${s}, but the table has ${m.tensors.length}`);
      if (e.path !== path) throw new CheckpointError(file, `tree "${path}" refers to tensor #${s}, whose path is "${e.path}"`);
      return tensors[s];
    }
    return Object.fromEntries(Object.keys(s).map((k) => [k, build(s[k], `${path}/${k}`)]));
  };
  const tree = (name: TreeName): TreeRecord => build(m.trees[name], name) as TreeRecord;
  return {
    params: tree('params'), state: tree('state'), optState: tree('optState'),
    key: [m.key[0], m.key[1]] as Key, step: m.step, epoch: m.epoch,
    history: { loss: [...m.history.loss], epochs: m.history.epochs.map((e) => ({ ...e })) },
    metadata: m.metadata,
  };
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

/** Whether `dir` holds a committed checkpoint (a `latest.json`). */
export const hasCheckpoint = (dir: string): boolean => existsSync(join(dir, LATEST));

/**
 * Loads the current checkpoint of `dir` (via latest.json), or the manifest at `path` when it
 * names a `.json` file. Refuses, with a CheckpointError naming the file and the problem,
 * anything damaged, inconsistent or (with `expect`) not fitting the model. Never writes.
 */
export const loadCheckpoint = (path: string, options: LoadOptions = {}): Checkpoint => {
  let c: Checkpoint;
  let manifestFile = path;
  if (path.endsWith('.json') && existsSync(path) && statSync(path).isFile()) {
    c = loadManifest(path);
  } else {
    const pointerFile = join(path, LATEST);
    if (!existsSync(pointerFile)) {
      throw new CheckpointError(path, existsSync(path) ? `no checkpoint here (no ${LATEST})` : 'no such directory');
    }
    const json = parseJson(readFile(pointerFile, 'pointer'), pointerFile);
    checkFormat(json, POINTER_FORMAT, pointerFile);
    const pointer = decodeIn(PointerC, json, pointerFile);
    manifestFile = join(path, pointer.manifest);
    try {
      c = loadManifest(manifestFile, pointer.manifestSha256);
    } catch (err) {
      if (!(err instanceof CheckpointError) || pointer.previous.length === 0) throw err;
      const earlier = pointer.previous.map((p) => join(path, p)).join(', ');
      throw new CheckpointError(err.file, `${err.message.slice(err.file.length + 2)} (earlier checkpoints, loadable by path: ${earlier})`);
    }
  }
  if (options.expect) {
    const problems = treeMismatches(c, options.expect);
    if (problems.length > 0) {
      throw new CheckpointError(manifestFile, `does not fit the model being resumed: ${problems.join('; ')}`);
    }
  }
  return c;
};
