/** Models by the names the command line uses. */
import { initializers, type Initializer } from '../init.ts';
import type { Layer } from '../layers/layer.ts';
import { mlp } from './mlp.ts';

/** What every model builder may be given. */
export interface BuildOptions {
  /** Hidden layer sizes (MLPs). */
  readonly hidden: readonly number[];
  /** Weight initialiser; each model has its own default when omitted. */
  readonly init?: Initializer;
  readonly classes: number;
}

/** A named model: how to build it and whether it takes flat vectors or NCHW images. */
export interface ModelEntry {
  readonly build: (o: BuildOptions) => Layer;
  readonly flatInput: boolean;
  readonly description: string;
}

/** Every model the scripts can train, by name. */
export const models = {
  mlp: { build: (o) => mlp({ hidden: o.hidden, classes: o.classes, init: o.init }), flatInput: true, description: 'affine/ReLU layers (book ch. 5–6)' },
} as const satisfies Readonly<Record<string, ModelEntry>>;

/** One of the model names. */
export type ModelName = keyof typeof models;
/** The model names, for flag validation. */
export const modelNames = Object.keys(models) as ModelName[];

/** Initialiser names, for flag validation. */
export type InitName = keyof typeof initializers;
/** The initialiser names. */
export const initNames = Object.keys(initializers) as InitName[];
