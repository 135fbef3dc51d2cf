/** The process's memory as training reports it: resident set now and at its peak, in MB. */

/** Resident set size now and the most it has been since the process started, in MB (10^6 bytes). */
export interface MemoryReading {
  readonly rssMB: number;
  readonly peakRssMB: number;
}

const MB = 1e6;

/** Reads the process's memory (the whole process: every worker thread and WebAssembly memory included). */
export const readMemory = (): MemoryReading => ({
  rssMB: process.memoryUsage.rss() / MB,
  // maxRSS is in KiB
  peakRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
});

/** "253 MB". */
export const formatMB = (mb: number): string => `${Math.round(mb)} MB`;
