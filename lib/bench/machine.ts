/** The machine a bench ran on, so figures from different CPUs, Node versions or kernels are not mixed up. */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { activeKernels } from '../kernels/backend.ts';

/** What every bench row records about where it was measured. */
export interface BenchMachine {
  /** os.cpus()[0].model, e.g. "Intel(R) Xeon(R) Processor". */
  readonly cpu: string;
  /** Whether the CPU has AVX-512 (avx512f in /proc/cpuinfo); absent where that file does not exist. */
  readonly avx512?: boolean;
  readonly cores: number;
  /** process.version, e.g. "v20.19.0". */
  readonly node: string;
  /** The active kernels' name, e.g. "wasm-relaxed-simd". */
  readonly kernels: string;
}

/** Whether /proc/cpuinfo lists avx512f; undefined off Linux (or when it cannot be read). */
const hasAvx512 = (): boolean | undefined => {
  const file = '/proc/cpuinfo';
  if (!existsSync(file)) return undefined;
  try {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1];
    return flags === undefined ? undefined : flags.split(/\s+/).includes('avx512f');
  } catch {
    return undefined;
  }
};

/** The machine now (read the kernels after they are chosen: the name is the active backend's). */
export const benchMachine = (): BenchMachine => {
  const all = cpus();
  const avx512 = hasAvx512();
  return {
    cpu: all[0]?.model.trim() ?? 'unknown',
    ...(avx512 === undefined ? {} : { avx512 }),
    cores: all.length,
    node: process.version,
    kernels: activeKernels().name,
  };
};

/** One line naming the machine, e.g. "machine: Intel(R) Xeon(R) Processor (AVX-512), 2 cores, Node v20.19.0, kernels wasm-relaxed-simd". */
export const describeMachine = (m: BenchMachine): string => {
  const vector = m.avx512 === undefined ? '' : m.avx512 ? ' (AVX-512)' : ' (no AVX-512)';
  return `machine: ${m.cpu}${vector}, ${m.cores} cores, Node ${m.node}, kernels ${m.kernels}`;
};
