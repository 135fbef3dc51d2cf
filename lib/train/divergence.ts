/** The divergence guard: when a run's loss or parameters show that training has blown up. */
import { leaves, type TreeRecord } from '../tree.ts';

/** Steps whose largest loss sets the default bound. */
export const BOUND_STEPS = 20;
/** How far above that largest loss the default bound lies. */
export const BOUND_FACTOR = 100;

/** Training stopped because it diverged: a loss or parameter not finite, or a loss past the bound. */
export class DivergenceError extends Error {
  /** `where` says which checkpoint holds the last good state (a job knows; `fit` does not). */
  constructor(readonly step: number, readonly epoch: number, readonly reason: string, readonly where?: string) {
    super(`training diverged at step ${step} (epoch ${epoch + 1}): ${reason}; ${where !== undefined ? `${where}; ` : ''}`
      + 'lower the learning rate, or set the loss bound with --max-loss (0 turns it off)');
    this.name = 'DivergenceError';
  }
}

/**
 * The loss bound in force after `losses`: `maxLoss` when given (0: none, so Infinity), else 100 ×
 * the largest of the first 20 losses (so far, while there are fewer: each of them was itself held
 * to the bound before it, so a run that blows up within its first steps is caught there too),
 * undefined before the first step.
 */
export const divergenceBound = (losses: readonly number[], maxLoss?: number): number | undefined => {
  if (maxLoss !== undefined) return maxLoss === 0 ? Infinity : maxLoss;
  if (losses.length === 0) return undefined;
  return BOUND_FACTOR * Math.max(...losses.slice(0, BOUND_STEPS));
};

/** A loss for a message: four significant digits, exponent form when very large or small. */
export const formatLoss = (x: number): string =>
  !Number.isFinite(x) ? String(x) : Math.abs(x) >= 1e6 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : String(Number(x.toPrecision(4)));

/** The path and index of the first parameter that is NaN or infinite ("affine1/W[12]"), if any. */
export const firstNonFinite = (params: TreeRecord): string | undefined => {
  for (const [path, t] of leaves(params)) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return `${path}[${i}] = ${d[i]}`;
  }
  return undefined;
};
