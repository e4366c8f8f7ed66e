/**
 * Published change-detection methods, for side-by-side comparison with the project's detector (bench/), both on log
 * values with the noise scale taken from first differences (sd / sqrt 2: a level change moves one difference only):
 * - `cusumDetector`: two-sided tabular CUSUM (Page 1954) with the textbook reference k = 0.5 sigma and decision
 *   interval h = 5 sigma; the baseline level is the median of the first points and is re-estimated after each alarm.
 * - `peltDetector`: PELT (Killick, Fearnhead & Eckley 2012, "Optimal detection of changepoints with a linear
 *   computational cost", JASA) with the normal change-in-mean cost sum((y - mean)^2) / sigma^2 and the penalty
 *   3 ln n (the MBIC value the `changepoint` R package uses by default for a change in mean), pruning constant K = 0.
 * Both report steps up and down (regressions and improvements by the metric's direction); neither knows drift.
 */
import { prefixSums } from './detect/split-stats';
import { type Detection, type DetectorId, type Metric, severityOf, THRESHOLDS } from './regression';
import { median } from './stats';

function diffSigma(ys: readonly number[]): number {
  if (ys.length < 3) {
    return 0;
  }
  let sum = 0;
  let sumSq = 0;
  for (let i = 1; i < ys.length; i++) {
    const d = ys[i]! - ys[i - 1]!;
    sum += d;
    sumSq += d * d;
  }
  const n = ys.length - 1;
  return Math.sqrt(Math.max(0, (sumSq - (sum * sum) / n) / (n - 1)) / 2);
}

function stepDetection(detector: DetectorId, metric: Metric, index: number, before: number, after: number, detail: string): Detection {
  const change = Math.exp(after - before) - 1;
  const worse = THRESHOLDS[metric].sign * change > 0;
  return {
    index,
    detector,
    kind: worse ? 'regression' : 'improvement',
    severity: worse ? severityOf(metric, change) : 'low',
    baseline: Math.exp(before),
    current: Math.exp(after),
    changePct: change,
    pValue: undefined,
    detail,
  };
}

export interface CusumOptions {
  /** Reference value in sigmas. @default 0.5 */
  k?: number;
  /** Decision interval in sigmas. @default 5 */
  h?: number;
  /** Points whose median is the (re-)estimated baseline (phase I). @default a third of the series, 8 to 30 */
  baselinePoints?: number;
}

export function cusumDetector(values: readonly number[], metric: Metric, options: CusumOptions = {}): Detection[] {
  const k = options.k ?? 0.5;
  const h = options.h ?? 5;
  const m0 = options.baselinePoints ?? Math.max(8, Math.min(30, Math.floor(values.length / 3)));
  const ys = values.map(Math.log);
  const sigma = diffSigma(ys);
  const out: Detection[] = [];
  if (!(sigma > 0) || ys.length < m0 + 1) {
    return out;
  }
  let base = median(ys.slice(0, m0));
  let hi = 0;
  let lo = 0;
  let lastZeroHi = m0 - 1;
  let lastZeroLo = m0 - 1;
  for (let i = m0; i < ys.length; i++) {
    const z = (ys[i]! - base) / sigma;
    hi = Math.max(0, hi + z - k);
    lo = Math.max(0, lo - z - k);
    lastZeroHi = hi === 0 ? i : lastZeroHi;
    lastZeroLo = lo === 0 ? i : lastZeroLo;
    if (hi > h || lo > h) {
      // The change began just after the statistic last left zero (the standard CUSUM change-time estimate).
      const at = (hi > h ? lastZeroHi : lastZeroLo) + 1;
      // Restart from the alarm: the estimated start may lie in noise before the change.
      const after = median(ys.slice(i, Math.min(ys.length, i + m0)));
      out.push(stepDetection('cusum', metric, at, base, after, `CUSUM ${hi > h ? 'up' : 'down'} alarm at point ${i}, change from point ${at}`));
      base = after;
      hi = 0;
      lo = 0;
      lastZeroHi = i;
      lastZeroLo = i;
    }
  }
  return out;
}

/** Optimal segmentation by PELT; returns the first index of each new segment. O(n) expected, O(n^2) worst case. */
export function peltChangePoints(ys: readonly number[], sigma: number, penalty: number): number[] {
  const n = ys.length;
  const { cs, cs2 } = prefixSums(ys);
  const cost = (a: number, b: number): number => {
    const len = b - a;
    const s = cs[b]! - cs[a]!;
    return (cs2[b]! - cs2[a]! - (s * s) / len) / (sigma * sigma);
  };
  const f = new Float64Array(n + 1);
  const last = new Int32Array(n + 1);
  f[0] = -penalty;
  let candidates = [0];
  for (let t = 1; t <= n; t++) {
    let best = Infinity;
    let arg = 0;
    const costs = candidates.map((tau) => f[tau]! + cost(tau, t));
    for (let j = 0; j < candidates.length; j++) {
      if (costs[j]! + penalty < best) {
        best = costs[j]! + penalty;
        arg = candidates[j]!;
      }
    }
    f[t] = best;
    last[t] = arg;
    // Pruning (K = 0): a candidate that cannot beat the optimum now never will.
    candidates = candidates.filter((_, j) => costs[j]! <= best);
    candidates.push(t);
  }
  const cps: number[] = [];
  for (let t = last[n]!; t > 0; t = last[t]!) {
    cps.push(t);
  }
  return cps.reverse();
}

export function peltDetector(values: readonly number[], metric: Metric): Detection[] {
  const ys = values.map(Math.log);
  const sigma = diffSigma(ys);
  if (!(sigma > 0)) {
    return [];
  }
  const cps = peltChangePoints(ys, sigma, 3 * Math.log(ys.length));
  const bounds = [0, ...cps, ys.length];
  const mean = (a: number, b: number): number => ys.slice(a, b).reduce((x, y) => x + y, 0) / (b - a);
  return cps.map((at, j) => {
    const before = mean(bounds[j]!, at);
    const after = mean(at, bounds[j + 2]!);
    return stepDetection('pelt', metric, at, before, after, `PELT change at point ${at} (segments ${bounds[j]}-${at - 1} and ${at}-${bounds[j + 2]! - 1})`);
  });
}
