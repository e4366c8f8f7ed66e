/**
 * The two split statistics of the change-point search, computed for every split of a stretch in one pass:
 * a standardized Mann-Whitney rank sum and a pooled two-sample t on the normal scores of the ranks
 * (Phi^-1((r - 3/8) / (n + 1/4)), van der Waerden / Blom). Both depend on the ranks only, so their null distribution
 * is the same for every continuous noise shape (heavy tails, skew, cache hit/miss mixtures): the simulated cut-offs
 * hold for all of them. The scores t keeps the power of a t test on Gaussian noise (asymptotic efficiency 1, and at
 * least 1 against any other shape: Chernoff-Savage) and, being studentized, is not capped like the rank z on short
 * stretches (with 5 points after a change in 20, the rank z cannot reach a 0.2 % cut-off whatever the step).
 */
import { normalQuantile } from '../stats';
import { LONG_VALUE_SEGMENT, VALUE_T_BELOW } from './critical-values';

/** A change point found by the search. */
export interface Cut {
  /** Offset of the first point at the new level. */
  at: number;
  /** Statistic over its critical value (> 1 when significant); the larger of the two statistics. */
  strength: number;
}

/** Fewest points on each side of a split: a change needs this many points at its new level to be reported. */
export const MIN_SEGMENT = 3;

/** Narrowest box proposed: 3 clustered outliers of skewed noise must not pass for a regression and its fix. */
export const MIN_BOX = 5;

/**
 * Midranks (1-based) of xs[s, e). A native typed-array sort plus two binary searches per value: several times faster
 * than sorting an index array with a comparator, which matters when the scan ranks a million points.
 */
export function ranksOf(xs: ArrayLike<number>, s: number, e: number): Float64Array {
  const n = e - s;
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    sorted[i] = xs[s + i]!;
  }
  sorted.sort();
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = xs[s + i]!;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    let up = lo;
    while (up < n && sorted[up] === x) {
      up++;
    }
    // Positions lo..up-1 hold x: its midrank is their 1-based mean.
    ranks[i] = (lo + up + 1) / 2;
  }
  return ranks;
}

const scoreTables = new Map<number, Float64Array>();

/** Normal scores of ranks 1..n (cached per n: the scan ranks stretches of the same few lengths again and again). */
function scoreTable(n: number): Float64Array {
  let table = scoreTables.get(n);
  if (table === undefined) {
    table = Float64Array.from({ length: n }, (_, i) => normalQuantile((i + 1 - 0.375) / (n + 0.25)));
    if (scoreTables.size < 2000) {
      scoreTables.set(n, table);
    }
  }
  return table;
}

/** Normal scores of midranks of n points (Blom): a rank-only stand-in for the values, Gaussian-shaped. */
export function normalScores(ranks: Float64Array): Float64Array {
  const n = ranks.length;
  const table = scoreTable(n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = ranks[i]!;
    // Tied values share a half-integer midrank, off the table.
    out[i] = Number.isInteger(r) ? table[r - 1]! : normalQuantile((r - 0.375) / (n + 0.25));
  }
  return out;
}

/** Prefix sums of xs and of their squares: cs[i] and cs2[i] sum xs[0, i). */
export function prefixSums(xs: ArrayLike<number>): { cs: Float64Array; cs2: Float64Array } {
  const n = xs.length;
  const cs = new Float64Array(n + 1);
  const cs2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    cs[i + 1] = cs[i]! + xs[i]!;
    cs2[i + 1] = cs2[i]! + xs[i]! * xs[i]!;
  }
  return { cs, cs2 };
}

export interface SplitScan {
  /** Offset (from the stretch start) of the first point after the split with the largest |rank z|. */
  rankAt: number;
  /** Standardized Mann-Whitney statistic there; positive when the part after is larger. */
  rankZ: number;
  tAt: number;
  /** Pooled two-sample t of the normal scores there; positive when the part after is larger. */
  t: number;
  /** The same t on the values themselves (parametric; from 40 points only over splits with 10 points each side, see critical-values.ts). */
  valueAt: number;
  valueT: number;
}

/** Pooled two-sample t of the part after a split against the part before, from prefix and total sums. */
function pooledT(prefix: number, prefixSq: number, sum: number, sumSq: number, n1: number, n2: number): number {
  const m1 = prefix / n1;
  const m2 = (sum - prefix) / n2;
  const ss = prefixSq - n1 * m1 * m1 + (sumSq - prefixSq) - n2 * m2 * m2;
  const pooled = Math.max(ss, 0) / (n1 + n2 - 2);
  return pooled > 0 ? (m2 - m1) / Math.sqrt(pooled * (1 / n1 + 1 / n2)) : 0;
}

/**
 * The strongest split of ys[s, e) by each statistic, over splits with at least `minSegment` points each side.
 * O(n log n) (one sort for the ranks; every split is O(1) from prefix sums). undefined when the stretch is too short.
 * `knownRanks`: the ranks of ys[s, e) when the caller has them already.
 */
export function scanSplits(ys: ArrayLike<number>, s: number, e: number, minSegment = MIN_SEGMENT, knownRanks?: Float64Array): SplitScan | undefined {
  const n = e - s;
  if (n < 2 * minSegment) {
    return undefined;
  }
  const ranks = knownRanks ?? ranksOf(ys, s, e);
  const scores = normalScores(ranks);
  // The value t: over every split on short stretches, over splits with LONG_VALUE_SEGMENT points each side on longer
  // ones (see critical-values.ts).
  const valueMin = n < VALUE_T_BELOW ? minSegment : LONG_VALUE_SEGMENT;
  let sum = 0;
  let sumSq = 0;
  let vSum = 0;
  let vSumSq = 0;
  for (let i = 0; i < n; i++) {
    sum += scores[i]!;
    sumSq += scores[i]! * scores[i]!;
    vSum += ys[s + i]!;
    vSumSq += ys[s + i]! * ys[s + i]!;
  }
  let vPrefix = 0;
  let vPrefixSq = 0;
  let rankPrefix = 0;
  let prefix = 0;
  let prefixSq = 0;
  const out: SplitScan = { rankAt: minSegment, rankZ: 0, tAt: minSegment, t: 0, valueAt: minSegment, valueT: 0 };
  for (let k = 1; k <= n - minSegment; k++) {
    rankPrefix += ranks[k - 1]!;
    prefix += scores[k - 1]!;
    prefixSq += scores[k - 1]! * scores[k - 1]!;
    vPrefix += ys[s + k - 1]!;
    vPrefixSq += ys[s + k - 1]! * ys[s + k - 1]!;
    if (k < minSegment) {
      continue;
    }
    const n1 = k;
    const n2 = n - k;
    // Rank sum of the part after the split, centred and scaled (no tie correction: ties are rare in timings and
    // ignoring them only makes the test conservative).
    const rankAfter = (n * (n + 1)) / 2 - rankPrefix;
    const z = (rankAfter - (n2 * (n + 1)) / 2) / Math.sqrt((n1 * n2 * (n + 1)) / 12);
    if (Math.abs(z) > Math.abs(out.rankZ)) {
      out.rankZ = z;
      out.rankAt = k;
    }
    const t = pooledT(prefix, prefixSq, sum, sumSq, n1, n2);
    if (Math.abs(t) > Math.abs(out.t)) {
      out.t = t;
      out.tAt = k;
    }
    const vt = n1 >= valueMin && n2 >= valueMin ? pooledT(vPrefix, vPrefixSq, vSum, vSumSq, n1, n2) : 0;
    if (Math.abs(vt) > Math.abs(out.valueT)) {
      out.valueT = vt;
      out.valueAt = k;
    }
  }
  return out;
}
