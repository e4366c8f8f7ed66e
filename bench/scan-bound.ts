/**
 * What a scan that knows a family's shape can reach on the labelled series: the reference the detector-quality table
 * is read against.
 * - `scanBound`: the smallest step the Gaussian max-t scan finds 95 % of the time at a given false-alarm rate.
 * - `scanCeiling`: the F1 of the family's reference scan (`REFERENCE_SCANS`) when its cut-off is calibrated on the
 *   family's own change-free series (1 % alarmed, by construction). Each is the Gaussian likelihood-ratio scan for the
 *   changes the family holds, told their shape: one step (the one-step families), one step on top of a sine wave of
 *   the family's period range (seasonal), one drift from some point to the end (drift), exactly 2 or 3 level changes
 *   (multi-step). An upper reference for a detector that, like ours, must find the changes at unknown places with the
 *   noise estimated from the same points and is not told the shape. Warm-up and fallbacks have none.
 */
import { type Detection, seededRandom } from '@browser-pool/db-integration';

import { scoreSeries } from './detector-quality';
import { FAMILIES, type Family, labelledGrid, makeSeries } from './labelled-series';

/** Largest |pooled two-sample t| over the splits of ys with at least 3 points each side. */
function maxSplitT(ys: Float64Array): { t: number; at: number } {
  const n = ys.length;
  let sum = 0;
  let sumSq = 0;
  for (const y of ys) {
    sum += y;
    sumSq += y * y;
  }
  let prefix = 0;
  let prefixSq = 0;
  let best = { t: 0, at: 0 };
  for (let k = 1; k <= n - 3; k++) {
    prefix += ys[k - 1]!;
    prefixSq += ys[k - 1]! ** 2;
    if (k < 3) {
      continue;
    }
    const m1 = prefix / k;
    const m2 = (sum - prefix) / (n - k);
    const ss = prefixSq - k * m1 * m1 + (sumSq - prefixSq) - (n - k) * m2 * m2;
    const t = Math.abs(m2 - m1) / Math.sqrt((Math.max(ss, 1e-300) / (n - 2)) * (1 / k + 1 / (n - k)));
    if (t > best.t) {
      best = { t, at: k };
    }
  }
  return best;
}

/**
 * The bound for any scan that, like ours, tries every split and estimates the noise from the same points: the
 * smallest step (noise sds, Gaussian noise) that the Gaussian max-t scan (the likelihood-ratio scan for one step)
 * finds within 2 points of its place 95 % of the time, at `alpha` false alarms per change-free series of n points,
 * with `after` points after the step. Simulated (seeded; 20 000 null series, 4 000 per step size tried).
 */
export function scanBound(n: number, after: number, alpha = 0.01): number {
  const random = seededRandom(4242 + n);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  const ys = new Float64Array(n);
  const nullT = Float64Array.from({ length: 20_000 }, () => {
    for (let i = 0; i < n; i++) {
      ys[i] = gaussian();
    }
    return maxSplitT(ys).t;
  }).sort();
  const cut = nullT[Math.ceil((1 - alpha) * nullT.length) - 1]!;
  const power = (d: number): number => {
    let hit = 0;
    for (let r = 0; r < 4000; r++) {
      for (let i = 0; i < n; i++) {
        ys[i] = gaussian() + (i >= n - after ? d : 0);
      }
      const s = maxSplitT(ys);
      hit += s.t > cut && Math.abs(s.at - (n - after)) <= 2 ? 1 : 0;
    }
    return hit / 4000;
  };
  let lo = 0;
  let hi = 8;
  while (hi - lo > 0.05) {
    const mid = (lo + hi) / 2;
    if (power(mid) >= 0.95) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

/** One change a reference scan settled on: its statistic (compared with the calibrated cut-off), place and direction. */
export interface Scanned {
  stat: number;
  at: number;
  up: boolean;
}

/** The max-t scan as a reference statistic: the mean after the best split against the mean before it gives the direction. */
function stepScan(ys: Float64Array): Scanned {
  const { t, at } = maxSplitT(ys);
  let before = 0;
  let after = 0;
  for (let i = 0; i < ys.length; i++) {
    if (i < at) {
      before += ys[i]! / at;
    } else {
      after += ys[i]! / (ys.length - at);
    }
  }
  return { stat: t, at, up: after > before };
}

/** Periods the wave reference tries, as multiples of the series length: the labelled seasonal family's 0.8-1.2x. */
const WAVE_PERIODS = Array.from({ length: 17 }, (_, j) => 0.8 + (0.4 * j) / 16);

/** Solves the symmetric 3x3 system m x = v (Cramer's rule). */
function solve3(m: number[][], v: number[]): number[] {
  const det = (a: number[][]): number =>
    a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!) - a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!) + a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  return [0, 1, 2].map((c) => det(m.map((row, r) => row.map((x, j) => (j === c ? v[r]! : x)))) / d);
}

/**
 * The likelihood-ratio scan for one step on top of a sine wave whose period lies in the seasonal family's range
 * (amplitude, phase and level free; Gaussian noise, unknown sd): log(RSS of the best wave / RSS of the best wave plus
 * a step), over every period in WAVE_PERIODS and every split with 3 points each side. For a period, with X the level
 * and the wave's sine and cosine and r the wave fit's residuals, a step at k lowers the RSS by (sum of r from k)^2 /
 * (n - k - a' (X'X)^-1 a), a holding the sums of X's columns from k: O(n) per period.
 */
export function waveStepScan(ys: Float64Array): Scanned {
  const n = ys.length;
  let rss0 = Infinity;
  let best = { rss: Infinity, at: 0, up: true };
  for (const multiple of WAVE_PERIODS) {
    const cols = [new Float64Array(n).fill(1), Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / (multiple * n))), Float64Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * i) / (multiple * n)))];
    const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
    const xtx = cols.map((a) => cols.map((b) => dot(a, b)));
    const beta = solve3(xtx, cols.map((c) => dot(c, ys)));
    const r = ys.map((y, i) => y - cols.reduce((s, c, j) => s + beta[j]! * c[i]!, 0));
    const rss = dot(r, r);
    rss0 = Math.min(rss0, rss);
    const inverse = [0, 1, 2].map((j) => solve3(xtx, [0, 1, 2].map((i) => (i === j ? 1 : 0))));
    const tail = [0, 0, 0];
    let rTail = 0;
    for (let k = n - 1; k >= 3; k--) {
      cols.forEach((c, j) => (tail[j]! += c[k]!));
      rTail += r[k]!;
      if (n - k < 3) {
        continue;
      }
      const q = tail.reduce((s, a, i) => s + a * tail.reduce((t, b, j) => t + inverse[i]![j]! * b, 0), 0);
      const spread = n - k - q;
      if (spread > 1e-9) {
        const rss1 = rss - (rTail * rTail) / spread;
        if (rss1 < best.rss) {
          best = { rss: rss1, at: k, up: rTail > 0 };
        }
      }
    }
  }
  return { stat: Math.log(rss0 / Math.max(best.rss, 1e-300)), at: best.at, up: best.up };
}

/**
 * The likelihood-ratio scan for a drift (the level flat, then a straight line from some point to the end) against a
 * flat level (Gaussian noise, unknown sd): log(RSS flat / RSS of the best hinge), over every start with 3 points
 * after it. O(n^2).
 */
export function hingeScan(ys: Float64Array): Scanned {
  const n = ys.length;
  const mean = ys.reduce((a, b) => a + b, 0) / n;
  const rss0 = ys.reduce((a, y) => a + (y - mean) ** 2, 0);
  let best = { gain: 0, at: 0, up: true };
  for (let k = 0; k <= n - 3; k++) {
    const hMean = ((n - 1 - k) * (n - k)) / 2 / n;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      const h = Math.max(0, i - k) - hMean;
      sxy += h * (ys[i]! - mean);
      sxx += h * h;
    }
    const gain = (sxy * sxy) / sxx;
    if (gain > best.gain) {
      best = { gain, at: k, up: sxy > 0 };
    }
  }
  return { stat: Math.log(rss0 / Math.max(rss0 - best.gain, 1e-300)), at: best.at, up: best.up };
}

/** What a reference scan settled on: its statistic and the changes it places (each with its direction). */
export interface ScannedChanges {
  stat: number;
  changes: { at: number; up: boolean }[];
}

/**
 * The likelihood-ratio scan for exactly `k` level changes anywhere (segments of 3+ points, Gaussian noise, unknown
 * sd) against none: log(RSS flat / RSS of the best k-change segmentation), the segmentation by dynamic programming
 * (optimal partitioning with k fixed). O(k n^2).
 */
export function segmentsScan(ys: Float64Array, k: number): ScannedChanges {
  const n = ys.length;
  const sums = new Float64Array(n + 1);
  const squares = new Float64Array(n + 1);
  ys.forEach((y, i) => {
    sums[i + 1] = sums[i]! + y;
    squares[i + 1] = squares[i]! + y * y;
  });
  const rss = (a: number, b: number): number => squares[b]! - squares[a]! - (sums[b]! - sums[a]!) ** 2 / (b - a);
  const mean = (a: number, b: number): number => (sums[b]! - sums[a]!) / (b - a);
  // cost[j][e]: the least RSS of ys[0, e) in j + 1 segments; from[j][e]: where its last segment starts.
  const cost = Array.from({ length: k + 1 }, () => new Float64Array(n + 1).fill(Infinity));
  const from = Array.from({ length: k + 1 }, () => new Int32Array(n + 1));
  for (let e = 3; e <= n; e++) {
    cost[0]![e] = rss(0, e);
  }
  for (let j = 1; j <= k; j++) {
    for (let e = 3 * (j + 1); e <= n; e++) {
      for (let s = 3 * j; s <= e - 3; s++) {
        const c = cost[j - 1]![s]! + rss(s, e);
        if (c < cost[j]![e]!) {
          cost[j]![e] = c;
          from[j]![e] = s;
        }
      }
    }
  }
  const cuts: number[] = [];
  for (let j = k, e = n; j >= 1; j--) {
    e = from[j]![e]!;
    cuts.unshift(e);
  }
  const bounds = [0, ...cuts, n];
  return {
    stat: Math.log(rss(0, n) / Math.max(cost[k]![n]!, 1e-300)),
    changes: cuts.map((at, j) => ({ at, up: mean(at, bounds[j + 2]!) > mean(bounds[j]!, at) })),
  };
}

/** A one-change scan as a reference. */
const oneChange =
  (scan: (ys: Float64Array) => Scanned) =>
  (ys: Float64Array): ScannedChanges => {
    const { stat, at, up } = scan(ys);
    return { stat, changes: [{ at, up }] };
  };

/**
 * Families with a reference, and the scan that is theirs: one change, or for multi-step the changes the family holds
 * (a regression and its fix; from 60 points also a revert: labelled-series.ts).
 */
const REFERENCE_SCANS: Partial<Record<Family, (ys: Float64Array) => ScannedChanges>> = {
  gaussian: oneChange(stepScan),
  'heavy-tails': oneChange(stepScan),
  lognormal: oneChange(stepScan),
  'bimodal-30/70': oneChange(stepScan),
  'bimodal-50/50': oneChange(stepScan),
  improvement: oneChange(stepScan),
  seasonal: oneChange(waveStepScan),
  drift: oneChange(hingeScan),
  'multi-step': (ys) => segmentsScan(ys, ys.length < 60 ? 2 : 3),
};

/** The families `scanCeiling` has a reference for, in the table's order. */
export const REFERENCE_FAMILIES: readonly Family[] = FAMILIES.filter((f) => REFERENCE_SCANS[f] !== undefined);

/** Change-free series drawn to calibrate the scan's cut-off per family and length (seeds apart from the grid's). */
const CALIBRATION_SERIES = 3000;

/**
 * F1 (k >= 2 and k = 0 series, as the table) of the family's reference scan (REFERENCE_SCANS) on log values, its
 * cut-off the 99th percentile of its statistic on the family's own change-free series at that length: a finding at
 * each change it places when above it (a drift to the series' end, for the hinge scan).
 */
export function scanCeiling(family: Family, length: number, perCell: number): number {
  const scan = REFERENCE_SCANS[family];
  if (scan === undefined) {
    throw new Error(`no reference scan for the ${family} family`);
  }
  const logs = (values: readonly { value: number }[]): Float64Array => Float64Array.from(values, (p) => Math.log(p.value));
  const nullStats = Float64Array.from({ length: CALIBRATION_SERIES }, (_, r) => scan(logs(makeSeries(family, length, 0.05, 0, 9_000_000 + r).points)).stat).sort();
  const cut = nullStats[Math.ceil(0.99 * nullStats.length) - 1]!;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const s of labelledGrid(perCell).filter((x) => x.family === family && x.length === length && (x.stepSigmas === 0 || x.stepSigmas >= 2))) {
    const best = scan(logs(s.points));
    const found: Detection[] = [];
    for (const { at, up } of best.stat > cut ? best.changes : []) {
      const kind = family === 'drift' ? 'drift' : up ? 'regression' : 'improvement';
      found.push({ index: at, endIndex: family === 'drift' ? length : undefined, detector: 'rank-changepoint', kind, severity: 'low', baseline: NaN, current: NaN, changePct: NaN, pValue: undefined, detail: '' });
    }
    const r = scoreSeries(s, found);
    tp += r.tp;
    fp += r.fp;
    fn += r.fn;
  }
  return 2 * tp + fp + fn === 0 ? 1 : (2 * tp) / (2 * tp + fp + fn);
}
