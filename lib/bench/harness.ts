/** A benchmark case runner on benchmark.js: medians, GFLOPS and side-by-side ratios. */
import Benchmark from 'benchmark';
import { describeMachine, type BenchMachine } from './machine.ts';

/** The function a case times: synchronous, or returning a Promise (timed until it settles). */
export type TimedCall = () => void | Promise<void>;

/** One measured operation of one library. */
export interface BenchCase {
  readonly kernel: string;
  readonly shape: string;
  readonly library: string;
  readonly threads: number;
  /** Floating-point operations of one call, for GFLOPS (omit where it does not apply). */
  readonly flops?: number;
  /** Prepares inputs and returns the function to time (setup is not timed). */
  readonly setup: () => Promise<TimedCall> | TimedCall;
  /** Runs after timing (e.g. to free a peer's memory). */
  readonly teardown?: () => void | Promise<void>;
}

/** One case's timing, as `runCase` measures it. */
export interface BenchTiming {
  readonly kernel: string;
  readonly shape: string;
  readonly library: string;
  readonly threads: number;
  readonly medianMs: number;
  readonly gflops: number | null;
  readonly samples: number;
}

/** One row of results, as written by `--json`: the timing and the machine it was taken on. */
export interface BenchRow extends BenchTiming, BenchMachine {}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const options = (maxTime: number): Benchmark.Options => ({ maxTime, minSamples: 5, initCount: 1 });

/** Times a synchronous call, synchronously. */
const timeSync = (name: string, fn: () => void, maxTime: number): Benchmark => {
  const bench = new Benchmark(name, fn, options(maxTime));
  bench.run({ async: false });
  if (bench.error !== undefined) throw bench.error;
  return bench;
};

/** Times an asynchronous call as a deferred benchmark: each call's time runs until its Promise settles. */
const timeAsync = (name: string, fn: TimedCall, maxTime: number): Promise<Benchmark> =>
  new Promise((resolve, reject) => {
    const bench: Benchmark = new Benchmark(name, {
      ...options(maxTime), defer: true,
      fn: (deferred: Benchmark.Deferred) => {
        // a rejected call stops the benchmark (nothing more is scheduled) and fails the case
        new Promise<void>((done) => done(fn())).then(() => deferred.resolve(), (err: unknown) => { bench.abort(); reject(err); });
      },
      onComplete: () => { if (bench.error === undefined) resolve(bench); else reject(bench.error); },
    });
    bench.run({ async: true });
  });

/** Times a case with benchmark.js (at least `minSamples` samples, about `maxTime` seconds); a call returning a Promise is timed until it settles. */
export const runCase = async (c: BenchCase, maxTime: number): Promise<BenchTiming> => {
  const fn = await c.setup();
  const name = `${c.kernel} ${c.shape} ${c.library}`;
  let bench: Benchmark;
  try {
    const warm = fn(); // warm-up: compile, grow scratch memory; its result says whether the call is asynchronous
    if (warm instanceof Promise) {
      await warm;
      bench = await timeAsync(name, fn, maxTime);
    } else bench = timeSync(name, fn, maxTime);
  } finally {
    await c.teardown?.();
  }
  const medianMs = median(bench.stats.sample) * 1000;
  return {
    kernel: c.kernel, shape: c.shape, library: c.library, threads: c.threads, medianMs,
    gflops: c.flops === undefined ? null : c.flops / (medianMs * 1e6), samples: bench.stats.sample.length,
  };
};

/** A table of rows with, per kernel and shape, each peer's time divided by tenfold's; with `machine`, a first line naming it. */
export const formatRows = (rows: readonly BenchTiming[], machine?: BenchMachine): string => {
  // kernel and library columns as wide as their longest entry plus a space (library at least 14)
  const kw = Math.max('kernel'.length, ...rows.map((r) => r.kernel.length)) + 1;
  const lw = Math.max(13, ...rows.map((r) => r.library.length)) + 1;
  const lines = [...(machine === undefined ? [] : [describeMachine(machine)]), `${'kernel'.padEnd(kw)}${'shape'.padEnd(44)}${'library'.padEnd(lw)}${'thr'.padStart(4)}${'median ms'.padStart(12)}${'GFLOPS'.padStart(9)}${'vs tenfold'.padStart(16)}`];
  for (const r of rows) {
    const ours = rows.find((o) => o.kernel === r.kernel && o.shape === r.shape && o.library === 'tenfold' && o.threads === r.threads)
      ?? rows.find((o) => o.kernel === r.kernel && o.shape === r.shape && o.library === 'tenfold');
    const x = ours === undefined ? 1 : r.medianMs / ours.medianMs;
    const ratio = r.library === 'tenfold' || ours === undefined ? '' : x >= 1 ? `${x.toFixed(2)}× slower` : `${(1 / x).toFixed(2)}× faster`;
    lines.push(`${r.kernel.padEnd(kw)}${r.shape.padEnd(44)}${r.library.padEnd(lw)}${String(r.threads).padStart(4)}${r.medianMs.toFixed(3).padStart(12)}${(r.gflops === null ? '' : r.gflops.toFixed(1)).padStart(9)}${ratio.padStart(16)}`);
  }
  return lines.join('\n');
};
