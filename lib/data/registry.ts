/**
 * Datasets as a concept: each is one definition (loader, image shape, class names, whether
 * mirroring keeps labels, its augmentation preset) in one registry, looked up by name. A new
 * built-in dataset is one file exporting its definition plus one entry in `builtIn` below;
 * users' own datasets are added from code with `registerDataset`.
 */
import { fashionMnistDataset } from './fashion-mnist.ts';
import { mnistDataset } from './mnist.ts';

/** A set of images with one class label each; all arrays are shared and must not be mutated. */
export interface LabeledImages {
  /** count×channels×height×width bytes, row-major. */
  readonly pixels: Uint8Array;
  /** Float value of each byte value: i/255 when normalized, else i. */
  readonly table: Float32Array;
  /** One class index per image. */
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** A dataset's training and test halves. */
export interface Split {
  readonly train: LabeledImages;
  readonly test: LabeledImages;
  readonly classes: number;
  readonly name: string;
}

/** The single augmentations a preset can name; augment/ turns them into functions. */
export const augmentStepNames = ['crop', 'flip', 'affine'] as const;

/** One step of an augmentation preset, as data (data/ cannot import augment/); omitted parameters take augment/'s defaults. */
export type AugmentStep =
  | { readonly name: 'crop'; readonly pad?: number }
  | { readonly name: 'flip'; readonly p?: number }
  | { readonly name: 'affine'; readonly maxDegrees?: number; readonly scale?: readonly [number, number] };

/** Everything the library needs to know about a dataset. */
export interface DatasetDefinition {
  /** The name `--dataset` takes (letters, digits, '.', '_', '-'). */
  readonly name: string;
  /** Train and test halves. Called on every load: cache inside when loading is slow. */
  readonly load: () => Split;
  /** One image as [channels, height, width]. */
  readonly imageShape: readonly [number, number, number];
  /** Display names by label; their count is the number of classes. */
  readonly classNames: readonly string[];
  /** Whether a left–right mirror keeps every label (false refuses `flip`). */
  readonly mirrorSafe: boolean;
  /** What `--augment default` means for this dataset. */
  readonly augmentPreset: readonly AugmentStep[];
}

/** The name of a registered dataset (checked at run time: see `isRegistered`). */
export type DatasetName = string;

const registry = new Map<string, DatasetDefinition>();

/** Why a definition cannot be registered, if it cannot. */
const definitionProblem = (d: DatasetDefinition): string | undefined => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(d.name)) return `the name ${JSON.stringify(d.name)} must be letters, digits, '.', '_' or '-'`;
  if (d.imageShape.length !== 3 || !d.imageShape.every((n) => Number.isInteger(n) && n >= 1)) {
    return `imageShape must be [C, H, W] of whole numbers ≥ 1, got [${d.imageShape.join(', ')}]`;
  }
  // labels are bytes
  if (d.classNames.length < 2 || d.classNames.length > 256) return `needs 2 to 256 class names, got ${d.classNames.length}`;
  const unknown = d.augmentPreset.find((s) => !(augmentStepNames as readonly string[]).includes(s.name));
  if (unknown !== undefined) return `augmentPreset names "${unknown.name}" (known: ${augmentStepNames.join(', ')})`;
  if (!d.mirrorSafe && d.augmentPreset.some((s) => s.name === 'flip')) return 'augmentPreset flips images that are not mirror-safe';
  return undefined;
};

/** Adds a dataset (the same definition again is a no-op); refuses a taken name or an inconsistent definition. */
export const registerDataset = (d: DatasetDefinition): DatasetDefinition => {
  const taken = registry.get(d.name);
  if (taken === d) return d;
  if (taken !== undefined) throw new Error(`registerDataset: a dataset named "${d.name}" is already registered`);
  const problem = definitionProblem(d);
  if (problem !== undefined) throw new Error(`registerDataset: dataset "${d.name}": ${problem}`);
  registry.set(d.name, d);
  return d;
};

/** Names of the registered datasets, in registration order. */
export const registeredDatasetNames = (): readonly DatasetName[] => [...registry.keys()];

/** Whether a dataset of this name is registered. */
export const isRegistered = (name: string): boolean => registry.has(name);

/** "unknown dataset "x" (known: mnist, fashion-mnist)". */
export const unknownDatasetMessage = (name: string): string =>
  `unknown dataset ${JSON.stringify(name)} (known: ${registeredDatasetNames().join(', ')})`;

/** The definition of a registered dataset; throws naming the known ones. */
export const datasetDefinition = (name: DatasetName): DatasetDefinition => {
  const d = registry.get(name);
  if (d === undefined) throw new Error(unknownDatasetMessage(name));
  return d;
};

/** Images from bytes (count×C×H×W, read as byte/255), for datasets built in code. */
export const labeledImages = (pixels: Uint8Array, labels: Uint8Array, imageShape: readonly [number, number, number]): LabeledImages => {
  const [channels, height, width] = imageShape;
  if (pixels.length !== labels.length * channels * height * width) {
    throw new Error(`labeledImages: ${pixels.length} bytes for ${labels.length} images of [${imageShape.join(', ')}]`);
  }
  const table = Float32Array.from({ length: 256 }, (_, i) => i / 255);
  return { pixels, table, labels, count: labels.length, channels, height, width };
};

// the built-in datasets: a new one is its file's definition added here
const builtIn: readonly DatasetDefinition[] = [mnistDataset, fashionMnistDataset];
builtIn.forEach(registerDataset);
