/** A benchmark case runner on benchmark.js: medians, GFLOPS and side-by-side ratios. */
import Benchmark from 'benchmark';
import { describeMachine, type BenchMachine } from './machine.ts';

/** One measured operation of one library. */
export interface BenchCase {
  readonly kernel: string;
  readonly shape: string;
  readonly library: string;
  readonly threads: number;
  /** Floating-point operations of one call, for GFLOPS (omit where it does not apply). */
  readonly flops?: number;
  /** Prepares inputs and returns the function to time (setup is not timed). */
  readonly setup: () => Promise<() => void> | (() => void);
  /** Runs after timing (e.g. to free a peer's memory). */
  readonly teardown?: () => void;
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

/** Times a case with benchmark.js (synchronously, at least `minSamples` samples, about `maxTime` seconds). */
export const runCase = async (c: BenchCase, maxTime: number): Promise<BenchTiming> => {
  const fn = await c.setup();
  fn(); // warm-up: compile, grow scratch memory
  const bench = new Benchmark(`${c.kernel} ${c.shape} ${c.library}`, fn, { maxTime, minSamples: 5, initCount: 1 });
  bench.run({ async: false });
  c.teardown?.();
  if (bench.error !== undefined) throw bench.error;
  const medianMs = median(bench.stats.sample) * 1000;
  return {
    kernel: c.kernel, shape: c.shape, library: c.library, threads: c.threads, medianMs,
    gflops: c.flops === undefined ? null : c.flops / (medianMs * 1e6), samples: bench.stats.sample.length,
  };
};

/** A table of rows with, per kernel and shape, each peer's time divided by tenfold's; with `machine`, a first line naming it. */
export const formatRows = (rows: readonly BenchTiming[], machine?: BenchMachine): string => {
  // columns as wide as their longest entry, plus a space
  const kw = Math.max('kernel'.length, ...rows.map((r) => r.kernel.length)) + 1;
  const lines = [...(machine === undefined ? [] : [describeMachine(machine)]), `${'kernel'.padEnd(kw)}${'shape'.padEnd(44)}${'library'.padEnd(14)}${'thr'.padStart(4)}${'median ms'.padStart(12)}${'GFLOPS'.padStart(9)}${'vs tenfold'.padStart(16)}`];
  for (const r of rows) {
    const ours = rows.find((o) => o.kernel === r.kernel && o.shape === r.shape && o.library === 'tenfold' && o.threads === r.threads)
      ?? rows.find((o) => o.kernel === r.kernel && o.shape === r.shape && o.library === 'tenfold');
    const x = ours === undefined ? 1 : r.medianMs / ours.medianMs;
    const ratio = r.library === 'tenfold' || ours === undefined ? '' : x >= 1 ? `${x.toFixed(2)}× slower` : `${(1 / x).toFixed(2)}× faster`;
    lines.push(`${r.kernel.padEnd(kw)}${r.shape.padEnd(44)}${r.library.padEnd(14)}${String(r.threads).padStart(4)}${r.medianMs.toFixed(3).padStart(12)}${(r.gflops === null ? '' : r.gflops.toFixed(1)).padStart(9)}${ratio.padStart(16)}`);
  }
  return lines.join('\n');
};
