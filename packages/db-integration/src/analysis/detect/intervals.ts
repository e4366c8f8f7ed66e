/**
 * Distribution-free interval estimates that go with the rank tests: the Hodges-Lehmann shift between two samples
 * with its Moses interval (inverted Mann-Whitney test), and the Sen slope with its interval (inverted Kendall test).
 * Both sort O(n1 n2) or O(n^2) pairwise values, so callers pass at most a few hundred points (the evidence windows).
 */
import { median, quantileSorted } from '../stats';
import { sortedAt } from './order-stats';

/** Two-sided 95 % normal quantile. */
export const Z95 = 1.959964;

/** Points compared on each side of a change for its size and interval (the nearest ones). */
export const EVIDENCE_POINTS = 60;

/** Hodges-Lehmann estimate of the shift of `b` relative to `a` with a ~95 % Moses confidence interval. */
export function shiftInterval(a: readonly number[], b: readonly number[]): { shift: number; low: number; high: number } {
  const diffs = new Float64Array(a.length * b.length);
  let k0 = 0;
  for (const y of b) {
    for (const x of a) {
      diffs[k0++] = y - x;
    }
  }
  const n1 = a.length;
  const n2 = b.length;
  const mid = (diffs.length - 1) / 2;
  // The k-th smallest and largest differences, k from the normal approximation of U's null distribution.
  const k = Math.floor((n1 * n2) / 2 - Z95 * Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12));
  // Only these four of the sorted differences are needed (order-stats.ts: the same values, without a full sort).
  const [m0, m1, low, high] = sortedAt(diffs, [Math.floor(mid), Math.ceil(mid), k < 1 ? 0 : k - 1, k < 1 ? diffs.length - 1 : diffs.length - k]);
  return { shift: (m0! + m1!) / 2, low: low!, high: high! };
}

/**
 * Size of a change from `there` (before) to `here` (after), raw values: medians, the relative change between them and,
 * with at least 2 points each side, a ~95 % interval of it (the Hodges-Lehmann shift of the logs). NaN baseline and
 * change when there is nothing before.
 */
export function relativeChange(there: readonly number[], here: readonly number[]): { baseline: number; current: number; change: number; interval: [number, number] | undefined } {
  const baseline = there.length > 0 ? median(there) : NaN;
  const current = median(here);
  let interval: [number, number] | undefined;
  if (here.length >= 2 && there.length >= 2) {
    const hl = shiftInterval(there.map(Math.log), here.map(Math.log));
    interval = [Math.expm1(hl.low), Math.expm1(hl.high)];
  }
  return { baseline, current, change: (current - baseline) / baseline, interval };
}

/** Sen's slope of ys against xs with a ~95 % interval. */
export function slopeInterval(xs: readonly number[], ys: readonly number[]): { slope: number; low: number; high: number } {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      if (xs[j] !== xs[i]) {
        slopes.push((ys[j]! - ys[i]!) / (xs[j]! - xs[i]!));
      }
    }
  }
  if (slopes.length === 0) {
    return { slope: 0, low: 0, high: 0 };
  }
  slopes.sort((p, q) => p - q);
  const n = xs.length;
  const c = Z95 * Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18);
  const lo = Math.max(0, Math.floor((slopes.length - c) / 2));
  const hi = Math.min(slopes.length - 1, Math.ceil((slopes.length + c) / 2));
  return { slope: quantileSorted(slopes, 0.5), low: slopes[lo]!, high: slopes[hi]! };
}

/** At most `max` evenly spaced indices of [s, e) (the interval estimates are quadratic). */
export function thin(s: number, e: number, max: number): number[] {
  const n = e - s;
  if (n <= max) {
    return Array.from({ length: n }, (_, i) => s + i);
  }
  return Array.from({ length: max }, (_, i) => s + Math.floor((i * n) / max));
}

/** A relative change as signed percent text: 0.123 -> "+12.3 %". */
export const pctText = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
