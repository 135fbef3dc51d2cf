/** Turns a registered dataset's loaded split into byte datasets, by name. */
import { byteDataset, type ByteDataset } from './dataset.ts';
import { datasetDefinition, type DatasetDefinition, type DatasetName, type LabeledImages, type Split } from './registry.ts';

/** A registered dataset's name (re-exported for existing imports). */
export type { DatasetName } from './registry.ts';

/**
 * Train and test sets, images NCHW or flattened, kept as bytes and read a batch at a time as
 * floats (`toFloatDataset` converts a whole set, e.g. for a report's image grid).
 */
export interface TrainTest {
  readonly name: string;
  readonly train: ByteDataset;
  readonly test: ByteDataset;
  readonly classes: number;
  /** Per-example input shape, e.g. [1, 28, 28] or [784]. */
  readonly inputShape: readonly number[];
  /** One image as [C, H, W], flattened or not (to un-flatten it for augmentation and reports). */
  readonly imageShape: readonly [number, number, number];
  /** Display names by label. */
  readonly classNames: readonly string[];
}

const shapeOf = (half: LabeledImages, flatten: boolean): number[] => {
  const perImage = half.channels * half.height * half.width;
  return flatten ? [half.count, perImage] : [half.count, half.channels, half.height, half.width];
};

/** Datasets from a loaded split (training bytes shared, not copied: they are never written); classes named "0", "1", … unless given. */
export const fromSplit = (split: Split, flatten = false, classNames?: readonly string[]): TrainTest => {
  const { channels, height, width } = split.train;
  return {
    name: split.name,
    train: byteDataset(split.train.pixels, shapeOf(split.train, flatten), split.train.table, split.train.labels),
    test: byteDataset(split.test.pixels, shapeOf(split.test, flatten), split.test.table, split.test.labels),
    classes: split.classes,
    inputShape: flatten ? [channels * height * width] : [channels, height, width],
    imageShape: [channels, height, width],
    classNames: classNames ?? Array.from({ length: split.classes }, (_, i) => String(i)),
  };
};

/** Why a loaded split does not match its definition (a loader's bug would otherwise surface as a shape error deep in training). */
const splitProblem = (d: DatasetDefinition, split: Split): string | undefined => {
  if (split.classes !== d.classNames.length) return `${split.classes} classes but ${d.classNames.length} class names`;
  for (const [which, half] of [['train', split.train], ['test', split.test]] as const) {
    const shape = [half.channels, half.height, half.width];
    if (shape.some((n, i) => n !== d.imageShape[i])) return `${which} images are [${shape.join(', ')}], defined as [${d.imageShape.join(', ')}]`;
    if (half.labels.length !== half.count) return `${which} has ${half.labels.length} labels for ${half.count} images`;
    const bad = half.labels.findIndex((l) => l >= split.classes);
    if (bad >= 0) return `${which} label ${half.labels[bad]} at index ${bad} is outside 0..${split.classes - 1}`;
  }
  return undefined;
};

/** Loads a registered dataset by name, pixels as its loader scales them (built-ins: [0, 1]). */
export const loadDataset = (name: DatasetName, flatten = false): TrainTest => {
  const d = datasetDefinition(name);
  const split = d.load();
  const problem = splitProblem(d, split);
  if (problem !== undefined) throw new Error(`loadDataset: "${name}": ${problem}`);
  return fromSplit({ ...split, name: d.name }, flatten, d.classNames);
};
