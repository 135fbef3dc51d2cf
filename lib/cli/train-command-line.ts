/** A job configuration as the `tenfold train` flags that give it: what a search prints for its best trial. */
import type { JobConfig } from '../jobs/config.ts';
import { formatSample } from '../search/sample.ts';
import type { FlagSpec } from './args.ts';
import { jobFlagSpecs } from './job-flags.ts';

type JobFlag = keyof typeof jobFlagSpecs;

/** Flags always written (the ones a search varies or a reader looks for first), even when they equal train's defaults. */
const ALWAYS: ReadonlySet<string> = new Set(['model', 'lr', 'weight-decay', 'epochs']);

/** A decoded flag value, compared as JSON (so "0.1" and "1e-1" are the same value). */
const decodedJson = (name: JobFlag, value: string): string => {
  const codec = (jobFlagSpecs[name] as FlagSpec).codec;
  if (codec === 'boolean') return value;
  const r = codec.decode(value);
  return JSON.stringify(r._tag === 'Right' ? r.right : value);
};

/**
 * `train` flags (argv form, after "tenfold train") that train `config` from `seed`: the model,
 * learning rate, weight decay and epochs always, every other flag only where it differs from
 * train's default. `validation: false` drops `--validation` (train on the whole training set),
 * unless early stopping needs it.
 */
export const trainArgs = (config: JobConfig, seed: number, options: { readonly validation: boolean }): readonly string[] => {
  const keepValidation = options.validation || config.earlyStopping !== undefined;
  const values: readonly (readonly [JobFlag | 'model', string | undefined])[] = [
    ['model', config.model], ['hidden', config.hidden.join(',')], ['optimizer', config.optimizer], ['lr', formatSample(config.lr)],
    ['schedule', config.schedule], ['batch-size', String(config.batchSize)], ['epochs', String(config.epochs)], ['seed', String(seed)],
    ['init', config.init], ['weight-decay', formatSample(config.weightDecay)], ['dataset', config.dataset], ['augment', config.augment.join(',')],
    ['max-loss', config.maxLoss === undefined ? undefined : String(config.maxLoss)],
    ['label-smoothing', config.labelSmoothing === undefined ? undefined : String(config.labelSmoothing)],
    ['validation', keepValidation && config.validation !== undefined ? String(config.validation) : undefined],
    ['early-stopping', config.earlyStopping === undefined ? undefined : String(config.earlyStopping.patience)],
    ['train-eval-limit', config.trainEvalLimit === undefined ? undefined : String(config.trainEvalLimit)],
  ];
  return values.flatMap(([name, value]) => {
    if (value === undefined) return [];
    if (!ALWAYS.has(name) && name !== 'model') {
      const fallback = (jobFlagSpecs[name] as FlagSpec).default;
      if (fallback !== undefined && decodedJson(name, fallback) === decodedJson(name, value)) return [];
    }
    return [`--${name}`, value];
  });
};

/** An argument as a shell reads it back: values are numbers and names, so only the empty one needs quotes. */
const shellWord = (arg: string): string => (/^[\w.,:+\/=-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** The command line: "tenfold train --model mlp --lr 0.01 …". */
export const trainCommandLine = (args: readonly string[]): string => ['tenfold', 'train', ...args.map(shellWord)].join(' ');
