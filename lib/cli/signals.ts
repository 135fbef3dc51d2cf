/**
 * SIGINT and SIGTERM for a training command: the first stops training at the next step boundary
 * (the job checkpoints there and the command exits 130 or 143); a second exits at once.
 */

/** Exit codes of a process ended by a signal, as shells report them (128 + the signal's number). */
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof EXIT_CODES;

/** The stop request that signals make, and the exit code the command should end with. */
export interface SignalStop {
  /** Aborts on the first signal. */
  readonly signal: AbortSignal;
  /** The exit code for the signal received (130 or 143), or undefined while none came. */
  readonly exitCode: () => number | undefined;
  /** Stops listening (the process's default handling returns). */
  readonly dispose: () => void;
}

/**
 * Listens for SIGINT and SIGTERM; `onFirst` is told which came (to say what happens next).
 * A second signal exits at once with its code (exit handlers, such as the run lock's release, run).
 */
export const stopOnSignals = (onFirst: (name: StopSignal) => void = () => {}): SignalStop => {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const handlers = (Object.keys(EXIT_CODES) as StopSignal[]).map((name) => {
    const handler = (): void => {
      if (received !== undefined) process.exit(EXIT_CODES[name]);
      received = name;
      onFirst(name);
      controller.abort();
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    exitCode: () => (received === undefined ? undefined : EXIT_CODES[received]),
    dispose: () => { for (const [name, handler] of handlers) process.off(name, handler); },
  };
};
