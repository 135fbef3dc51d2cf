/**
 * Training progress for `fit`'s hooks: a live bar (cli-progress) on a terminal, plain lines
 * every tenth of an epoch elsewhere (logs, CI), and an epoch summary line either way.
 * cli-progress: widely used, no native parts, writes to any stream, and can be left out.
 */
import cliProgress from 'cli-progress';
import type { EpochRecord, FitOptions } from '../train/fit.ts';
import { formatMB, readMemory } from './memory.ts';

/** A stream progress can write to (process.stdout, or a collector in tests). */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** Options of `progress`. */
export interface ProgressOptions {
  /** Total epochs, for "epoch 3/17". */
  readonly epochs?: number;
  /** Where to write (default process.stdout). */
  readonly stream?: ProgressStream;
  /** Write nothing at all. */
  readonly quiet?: boolean;
  /** Draw a live bar (default: whether the stream is a terminal). */
  readonly tty?: boolean;
  /** Fraction of an epoch between plain lines (default 0.1). */
  readonly every?: number;
  /** Prefix of every line, e.g. "member 2/5". */
  readonly label?: string;
  /** Clock in milliseconds (default performance.now), for tests. */
  readonly now?: () => number;
  /** The process's resident set in MB, shown after each epoch (default: read from the process), for tests. */
  readonly rssMB?: () => number;
}

/** Hooks to pass to `fit` (or to feed from an ensemble member's events), plus `stop` to release the terminal. */
export interface Progress {
  readonly onStep: NonNullable<FitOptions['onStep']>;
  /** Reads only the last epoch record, so a member's event can feed it without a training state. */
  readonly onEpoch: (state: unknown, history: { readonly epochs: readonly EpochRecord[] }) => void;
  stop(): void;
}

/** "1:05" or "1:02:03". */
export const formatDuration = (seconds: number): string => {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return (hms[0] > 0 ? hms : hms.slice(1)).map((v, i) => (i === 0 ? String(v) : String(v).padStart(2, '0'))).join(':');
};

const percent = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(2)}%`);

/** Progress reporting for one training run; its `onStep`/`onEpoch` go straight into fit's options. */
export const progress = (options: ProgressOptions = {}): Progress => {
  const stream = options.stream ?? process.stdout;
  const now = options.now ?? (() => performance.now());
  const rssMB = options.rssMB ?? (() => readMemory().rssMB);
  const marks = Math.max(1, Math.round(1 / (options.every ?? 0.1)));
  const prefix = options.label ? `${options.label}  ` : '';
  const epochOf = (e: number): string => `epoch ${e}${options.epochs !== undefined ? `/${options.epochs}` : ''}`;
  if (options.quiet) return { onStep: () => {}, onEpoch: () => {}, stop: () => {} };

  const tty = options.tty ?? stream.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let started = now();
  let examples = 0;
  let lossSum = 0;
  let lastMark = 0;

  const stopBar = (): void => { bar?.stop(); bar = undefined; };

  const onStep: Progress['onStep'] = (info) => {
    examples += info.examples;
    lossSum += info.loss;
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? examples / seconds : 0;
    const meanLoss = lossSum / info.stepInEpoch;
    if (tty) {
      const payload = { label: `${prefix}${epochOf(info.epoch + 1)}`, loss: meanLoss.toFixed(4), rate: rate.toFixed(0) };
      if (!bar) {
        bar = new cliProgress.SingleBar({
          format: '{label} [{bar}] {value}/{total} | loss {loss} | {rate} img/s | ETA {eta_formatted}',
          stream: stream as NodeJS.WritableStream, hideCursor: true, clearOnComplete: true, etaBuffer: 50,
        }, cliProgress.Presets.shades_classic);
        bar.start(info.stepsPerEpoch, 0, payload);
      }
      bar.update(info.stepInEpoch, payload);
      return;
    }
    const mark = Math.floor((info.stepInEpoch * marks) / info.stepsPerEpoch);
    if (mark > lastMark && info.stepInEpoch < info.stepsPerEpoch) {
      lastMark = mark;
      const eta = (seconds / info.stepInEpoch) * (info.stepsPerEpoch - info.stepInEpoch);
      const pct = Math.floor((100 * info.stepInEpoch) / info.stepsPerEpoch);
      stream.write(`${prefix}${epochOf(info.epoch + 1)}  step ${info.stepInEpoch}/${info.stepsPerEpoch} (${pct}%)  loss ${meanLoss.toFixed(4)}  ${rate.toFixed(0)} img/s  ETA ${formatDuration(eta)}\n`);
    }
  };

  const onEpoch: Progress['onEpoch'] = (_state, history) => {
    stopBar();
    const e = history.epochs[history.epochs.length - 1];
    if (e !== undefined) {
      const rate = e.seconds > 0 ? examples / e.seconds : 0;
      stream.write(`${prefix}${epochOf(e.epoch)}  loss ${e.meanLoss.toFixed(4)}  train ${percent(e.trainAccuracy)}  test ${percent(e.testAccuracy)}  ${e.seconds.toFixed(1)} s  ${rate.toFixed(0)} img/s  rss ${formatMB(rssMB())}\n`);
    }
    // the next epoch's clock starts after evaluation, which is not training throughput
    started = now();
    examples = 0;
    lossSum = 0;
    lastMark = 0;
  };

  return { onStep, onEpoch, stop: stopBar };
};
