/**
 * A synthetic dataset that is not 28×28 (3×12×12 colour images, class k a bright square in
 * quadrant k), registered on import: specs import it, and ensemble workers load it as a module.
 */
import { labeledImages, registerDataset, type DatasetDefinition, type LabeledImages, type Split } from '../../lib/data/registry.ts';
import { key, randint, uniform } from '../../lib/random.ts';

/** The images' [C, H, W]. */
export const SHAPE = [3, 12, 12] as const;
/** The class names. */
export const CLASSES = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];
const [C, H, W] = SHAPE;

/** `count` images from `seed`: noise in [0, 0.35), a 4×4 square of a random colour at a jittered spot of its quadrant; 6% of labels wrong, so some errors always show. */
const quadrantImages = (seed: number, count: number): LabeledImages => {
  const truth = randint(key(seed), count, 0, 4);
  const noise = uniform(key(seed + 1), [count * C * H * W], 0, 0.35).data;
  const jitter = randint(key(seed + 2), 2 * count, 0, 3);
  const colour = uniform(key(seed + 3), [count * C], 0.5, 0.65).data;
  const wrong = uniform(key(seed + 4), [count]).data;
  const other = randint(key(seed + 5), count, 0, 4);
  const pixels = new Uint8Array(count * C * H * W);
  for (let i = 0; i < count; i++) {
    const top = (truth[i] >> 1) * 6 + jitter[2 * i];
    const left = (truth[i] & 1) * 6 + jitter[2 * i + 1];
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const at = ((i * C + c) * H + y) * W + x;
          const inSquare = y >= top && y < top + 4 && x >= left && x < left + 4;
          pixels[at] = Math.round(255 * Math.min(1, noise[at] + (inSquare ? colour[i * C + c] : 0)));
        }
      }
    }
  }
  const labels = Uint8Array.from(truth, (t, i) => (wrong[i] < 0.06 ? other[i] : t));
  return labeledImages(pixels, labels, SHAPE);
};

let cached: Split | undefined;
/** Registered by this spec: left–right mirroring swaps classes, so it is not mirror-safe. */
export const quadrants: DatasetDefinition = {
  name: 'quadrants',
  load: () => (cached ??= { name: 'quadrants', classes: 4, train: quadrantImages(1, 480), test: quadrantImages(100, 240) }),
  imageShape: SHAPE,
  classNames: CLASSES,
  mirrorSafe: false,
  augmentPreset: [{ name: 'crop', pad: 1 }],
};

registerDataset(quadrants);
