/** Loading an optional peer package: a missing package means "not installed", not an error. */

/** Whether an import failed because a package (or a dependency of it) is not installed; any other failure is a real error. */
export const notInstalled = (err: unknown): boolean =>
  err instanceof Error && ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'].includes((err as NodeJS.ErrnoException).code ?? '');

/** Runs an import once and caches it: its value, or undefined when a package is not installed. */
export const optionalImport = <T>(load: () => Promise<T>): (() => Promise<T | undefined>) => {
  let loading: Promise<T | undefined> | undefined;
  return () => {
    loading ??= load().catch((err: unknown) => {
      if (notInstalled(err)) return undefined;
      throw err;
    });
    return loading;
  };
};
