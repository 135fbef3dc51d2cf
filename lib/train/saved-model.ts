/**
 * Saved models: one file that holds a trained network's architecture (any `sequential` of the
 * library's layers), its parameters and layer state, its input shape, its preprocessing and its
 * class names, so it reloads and predicts without the code that built it or a dataset.
 *
 * On disk: an uncompressed zip (CRC-checked on reading), `model.json` plus one `.npy` per tensor
 * (`params/affine1/W.npy`, …), so NumPy reads the weights too. The format itself (to and from
 * bytes, for browsers too) is in model-bytes.ts; this file adds files.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ReadLimits } from '../data/caps.ts';
import { nodeInflater } from '../data/zip.ts';
import { writeAtomic } from './checkpoint-files.ts';
import { decodeModel as decodeModelBytes, encodeModel, type SavedModel } from './model-bytes.ts';

export * from './model-bytes.ts';

/** A saved model from its bytes (inflated with Node's zlib); errors name the file (`name`) and what is wrong. */
export const decodeModel = (bytes: Uint8Array, name = '<model>', limits: ReadLimits = {}): SavedModel =>
  decodeModelBytes(bytes, name, limits, nodeInflater);

/** Saves a model to `file` atomically (its directory must exist). */
export const saveModel = (file: string, m: SavedModel): void => writeAtomic(dirname(file), basename(file), encodeModel(m));

/** Loads a model saved by `saveModel`. */
export const loadModel = (file: string, limits: ReadLimits = {}): SavedModel => {
  let bytes: Uint8Array;
  try { bytes = readFileSync(file); } catch (err) { throw new Error(`${file}: cannot read: ${(err as Error).message}`); }
  return decodeModel(bytes, file, limits);
};
