/**
 * Every command-line codec's `is` accepts what its `decode` returns (and refuses what it would
 * not return): every codec of lib/cli/codecs.ts, every flag of jobFlagSpecs, and every flag of
 * every command (train, evaluate, ensemble, export, worker, bench: lib/cli/commands/, which the scripts run).
 */
import { expect } from 'chai';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { augmentNames } from '../lib/augment/presets.ts';
import { parseFlags, UsageError, type FlagSpecs } from '../lib/cli/args.ts';
import * as codecs from '../lib/cli/codecs.ts';
import {
  listOf, NonNegativeInt, NonNegativeNumber, oneOf, PositiveInt, PositiveIntList, PositiveNumber, PositiveRange, Probability, Seed,
} from '../lib/cli/codecs.ts';
import { jobFlagSpecs, modelFlag } from '../lib/cli/job-flags.ts';
import { initNames, modelNames } from '../lib/models/registry.ts';

/** What is tested of a codec (encode takes the codec's own values, so it is called on what decode returned). */
interface Codec {
  readonly name: string;
  readonly is: (u: unknown) => boolean;
  readonly decode: (u: unknown) => t.Validation<unknown>;
  readonly encode: (a: never) => unknown;
}
interface Case {
  readonly codec: Codec;
  /** Strings it decodes, with what they decode to. */
  readonly valid: readonly (readonly [string, unknown])[];
  /** Strings it refuses. */
  readonly invalid: readonly string[];
  /** Values its `is` refuses. */
  readonly notIs: readonly unknown[];
}

const decoded = (codec: Codec, s: string): unknown => {
  const r = codec.decode(s);
  if (E.isLeft(r)) throw new Error(`${codec.name} refused "${s}": ${r.left.map((e) => e.message).join('; ')}`);
  return r.right;
};

/** Decodes each valid example (to the value given, which `is` accepts), and refuses each invalid one with a message. */
const check = (label: string, { codec, valid, invalid, notIs }: Case): void => {
  for (const [s, want] of valid) {
    const v = decoded(codec, s);
    expect(v, `${label} "${s}"`).to.deep.equal(want);
    expect(codec.is(v), `${label}: is() of what decode("${s}") returned`).to.equal(true);
    expect(decoded(codec, String(codec.encode(v as never))), `${label}: encode then decode "${s}"`).to.deep.equal(v);
  }
  for (const s of invalid) {
    const r = codec.decode(s);
    expect(E.isLeft(r), `${label} should refuse "${s}"`).to.equal(true);
    if (E.isLeft(r)) expect(r.left[0]?.message, `${label} "${s}"`).to.equal(`expected ${codec.name}, got "${s}"`);
  }
  for (const u of notIs) expect(codec.is(u), `${label}: is(${JSON.stringify(u)})`).to.equal(false);
  expect(E.isLeft(codec.decode(5)), `${label} refuses a non-string`).to.equal(true);
};

const ab = ['a', 'b'] as const;

/** A case for every export of lib/cli/codecs.ts (the factories with a small name list). */
const codecCases: Readonly<Record<keyof typeof codecs, Case>> = {
  PositiveInt: {
    codec: PositiveInt,
    valid: [['1', 1], ['17', 17], [' 100 ', 100], ['1e2', 100]],
    invalid: ['0', '-3', '2.5', 'abc', '', '1,2', 'Infinity'],
    notIs: [0, -1, 2.5, '3', NaN, Infinity, null, undefined, [3]],
  },
  NonNegativeInt: {
    codec: NonNegativeInt,
    valid: [['0', 0], ['5', 5]],
    invalid: ['-1', '0.5', 'x', ''],
    notIs: [-1, 0.5, '0', NaN],
  },
  Seed: {
    codec: Seed,
    valid: [['0', 0], ['1', 1], [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER]],
    invalid: ['-1', '1e20', '1.5', String(Number.MAX_SAFE_INTEGER + 2), 'seed'],
    notIs: [-1, 1e20, 1.5, '1', Number.MAX_SAFE_INTEGER + 1],
  },
  PositiveNumber: {
    codec: PositiveNumber,
    valid: [['0.1', 0.1], ['3', 3], ['1e-3', 0.001]],
    invalid: ['0', '-1', 'fast', 'Infinity', 'NaN', ''],
    notIs: [0, -0.5, Infinity, NaN, '0.1'],
  },
  NonNegativeNumber: {
    codec: NonNegativeNumber,
    valid: [['0', 0], ['100', 100], ['0.0005', 0.0005]],
    invalid: ['-0.1', 'x', 'Infinity'],
    notIs: [-0.1, Infinity, NaN, '0'],
  },
  Probability: {
    codec: Probability,
    valid: [['0', 0], ['0.5', 0.5]],
    invalid: ['1', '-0.1', '1.5', 'half'],
    notIs: [1, -0.1, NaN, '0.5'],
  },
  PositiveIntList: {
    codec: PositiveIntList,
    valid: [['50', [50]], ['100,50', [100, 50]], [' 100 , 50 ', [100, 50]]],
    invalid: ['', '100,', '0', 'a,b', '1.5', '100,-1'],
    notIs: [[], [0], [1.5], ['1'], 100, '100,50', [1, undefined]],
  },
  PositiveRange: {
    codec: PositiveRange,
    valid: [['1e-4:1e-1', { low: 1e-4, high: 0.1 }], [' 0.5 : 2 ', { low: 0.5, high: 2 }]],
    invalid: ['0.1', '0:1', '1:0.5', '1:1', '-1:1', 'a:b', '1:2:3', '', ':', '1:Infinity'],
    notIs: [{ low: 1, high: 1 }, { low: 0, high: 1 }, { low: 1 }, [1, 2], '1:2', null],
  },
  oneOf: {
    codec: oneOf(ab),
    valid: [['a', 'a'], [' b ', 'b']],
    invalid: ['c', '', 'a,b', 'A'],
    notIs: ['c', '', 1, ['a'], undefined],
  },
  listOf: {
    codec: listOf(ab),
    valid: [['', []], ['a', ['a']], ['a,b', ['a', 'b']], ['b, a', ['b', 'a']]],
    invalid: ['a,c', 'c', 'a,,b'],
    notIs: [['c'], ['a', 'c'], 'a', [1], undefined],
  },
};

/** A valid command-line value of each valued flag of any command (besides its default). */
const flagExamples: Readonly<Record<string, string>> = {
  // job flags
  hidden: '100,50', optimizer: 'adam', lr: '0.01', schedule: 'cosine', 'batch-size': '32', epochs: '3', seed: '42',
  init: initNames[0], 'weight-decay': '0.0005', dataset: 'mnist', augment: 'crop,flip', 'max-loss': '0', 'train-eval-limit': '1000',
  validation: '1000', 'early-stopping': '3', 'label-smoothing': '0.1', model: 'mlp',
  // train, evaluate, ensemble
  out: 'runs/some dir', report: 'report.html', 'save-model': 'model.tenfold', weights: 'w.npz', ensemble: 'runs/e',
  predictions: 'p.json', saved: 'model.tenfold', preset: 'default', members: '3', tta: '2', workers: '2',
  // export, worker, bench
  queue: 'redis://127.0.0.1:6379', concurrency: '2', onnx: 'model.onnx', checkpoint: 'runs/ckpt', json: 'rows.json', filter: 'gemm 128x',
  'max-time': '0.5', threads: '2', 'lock-duration': '5000', 'stalled-interval': '5000', lease: '20000',
  // snapshot ensembles and weight averaging
  cycles: '3', 'swa-start': '2', method: 'snapshot,swa', runs: '2',
};

/** Every valued flag of `specs` decodes its default and its example to values its codec's `is` accepts. */
const checkFlags = (specs: FlagSpecs, examples: Readonly<Record<string, string>> = flagExamples): void => {
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.codec === 'boolean') continue;
    const codec = spec.codec as unknown as Codec;
    const example = examples[name];
    if (example === undefined) { missing.push(name); continue; }
    for (const s of [spec.default, example].filter((x) => x !== undefined)) {
      expect(codec.is(decoded(codec, s)), `--${name} ${s}: is() of the decoded value`).to.equal(true);
    }
    expect(E.isLeft(codec.decode(42)), `--${name} refuses a non-string`).to.equal(true);
    // any string is a path; every other flag refuses nonsense, with its message
    if (codec.name !== 'string') {
      const r = codec.decode('not-a-valid-value!');
      expect(E.isLeft(r) ? r.left[0]?.message : 'accepted', `--${name}`).to.equal(`expected ${codec.name}, got "not-a-valid-value!"`);
    }
  }
  expect(missing, 'valued flags without an example in flagExamples').to.deep.equal([]);
};

describe('cli/codecs: every codec is() accepts what its decode() returns', () => {
  it('has a case for every export of lib/cli/codecs.ts', () => {
    expect(Object.keys(codecCases).sort()).to.deep.equal(Object.keys(codecs).sort());
  });

  for (const [name, c] of Object.entries(codecCases)) it(name, () => check(name, c));

  it('oneOf and listOf are built for any name list', () => {
    check('oneOf(modelNames)', { codec: oneOf(modelNames), valid: modelNames.map((m) => [m, m] as const), invalid: ['resnet9000'], notIs: ['resnet9000'] });
    check('listOf(augmentNames)', { codec: listOf(augmentNames), valid: [[augmentNames.join(','), [...augmentNames]]], invalid: ['rotate'], notIs: [['rotate']] });
  });
});

describe('cli/job-flags: every job flag decodes to a value its codec accepts', () => {
  const specs = { ...jobFlagSpecs, model: modelFlag('mlp') };
  const valued = Object.entries(specs).flatMap(([name, s]) => (s.codec === 'boolean' ? [] : [[name, s.codec as Codec] as const]));

  it('every flag of jobFlagSpecs and modelFlag', () => checkFlags(specs));

  it('parseFlags returns, for the defaults and for the examples, values every codec accepts', () => {
    const argv = valued.flatMap(([name]) => [`--${name}`, flagExamples[name]]);
    for (const flags of [parseFlags([], specs), parseFlags(argv, specs)]) {
      for (const [name, codec] of valued) {
        const v = (flags as Record<string, unknown>)[name];
        if (v !== undefined) expect(codec.is(v), `--${name}: ${JSON.stringify(v)}`).to.equal(true);
      }
    }
    expect(parseFlags(['--quiet'], specs).quiet).to.equal(true);
    expect(parseFlags([], specs).json).to.equal(false);
  });

  it('bad values are refused naming the flag, with the codec\'s message', () => {
    const refusal = (argv: string[]): string => {
      try {
        parseFlags(argv, specs);
      } catch (err) {
        expect(err).to.be.instanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error(`${argv.join(' ')} was accepted`);
    };
    expect(refusal(['--epochs', '0'])).to.equal('--epochs: expected a whole number ≥ 1, got "0"');
    expect(refusal(['--seed', '1e20'])).to.equal(`--seed: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got "1e20"`);
    expect(refusal(['--hidden', '100,x'])).to.equal('--hidden: expected comma-separated whole numbers ≥ 1, got "100,x"');
    expect(refusal(['--optimizer', 'lbfgs'])).to.match(/^--optimizer: expected one of sgd\|/);
    expect(refusal(['--augment', 'rotate'])).to.match(/^--augment: expected comma-separated names from crop\|/);
    expect(refusal(['--bogus'])).to.match(/Unknown option '--bogus'/);
  });
});

/** The commands, in the order they are loaded below. */
const COMMANDS = ['train', 'evaluate', 'ensemble', 'export', 'worker', 'bench', 'search'] as const;
/** Examples of flags whose values differ by command (search's --lr is a range). */
const commandExamples: Readonly<Partial<Record<string, Readonly<Record<string, string>>>>> = {
  search: { lr: '1e-3:1e-1', 'weight-decay': '1e-6:1e-3', trials: '5' },
};

describe('every flag of every command', () => {
  // loaded here rather than imported, so a command that fails to load fails its own test, not this file
  const commands: Record<string, FlagSpecs> = {};
  const unloadable: Record<string, unknown> = {};
  before(async function () {
    this.timeout(30_000);
    const loaded = await Promise.allSettled([
      import('../lib/cli/commands/train.ts').then((m) => m.trainCommand.specs),
      import('../lib/cli/commands/evaluate.ts').then((m) => m.evaluateCommand.specs),
      import('../lib/cli/commands/ensemble.ts').then((m) => m.ensembleCommand.specs),
      import('../lib/cli/commands/export.ts').then((m) => m.exportCommand.specs),
      import('../lib/cli/commands/worker.ts').then((m) => m.workerCommand.specs),
      import('../lib/cli/commands/bench.ts').then((m) => m.benchCommand.specs),
      import('../lib/cli/commands/search.ts').then((m) => m.searchCommand.specs),
    ]);
    COMMANDS.forEach((name, i) => {
      const r = loaded[i];
      if (r.status === 'fulfilled') commands[name] = r.value;
      else unloadable[name] = r.reason;
    });
  });

  for (const name of COMMANDS) {
    it(name, () => {
      if (name in unloadable) throw unloadable[name];
      const specs = commands[name];
      checkFlags(specs, { ...flagExamples, ...commandExamples[name] });
    });
  }
});
