/**
 * When to stop measuring: after `minIterations`, once the medians of the last two windows of `window` samples
 * differ by at most `tolerancePct`; never more than `maxIterations` (then the result says it was not stable).
 */
import { median } from '@browser-pool/db-integration';

export interface StabilityRule {
  /** @default 10 */
  minIterations: number;
  /** @default 100 */
  maxIterations: number;
  /** Samples per window. @default 5 */
  window: number;
  /** Largest relative difference of the two window medians, percent. @default 5 */
  tolerancePct: number;
}

export const DEFAULT_STABILITY: StabilityRule = { minIterations: 10, maxIterations: 100, window: 5, tolerancePct: 5 };

export type StabilityVerdict = { done: false } | { done: true; stable: boolean; changePct: number };

export function stabilityVerdict(samples: readonly number[], rule: StabilityRule): StabilityVerdict {
  const n = samples.length;
  const enough = n >= Math.max(rule.minIterations, 2 * rule.window);
  const change = enough ? relativeChange(samples.slice(n - 2 * rule.window, n - rule.window), samples.slice(n - rule.window)) : Infinity;
  if (enough && change <= rule.tolerancePct) {
    return { done: true, stable: true, changePct: change };
  }
  if (n >= rule.maxIterations) {
    return { done: true, stable: false, changePct: change };
  }
  return { done: false };
}

function relativeChange(a: readonly number[], b: readonly number[]): number {
  const ma = median(a);
  const mb = median(b);
  return ma === 0 ? (mb === 0 ? 0 : Infinity) : (Math.abs(mb - ma) / ma) * 100;
}
