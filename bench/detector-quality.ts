/**
 * Detector quality on labelled series (labelled-series.ts), per family x length x detector.
 *
 * Scorer rules (also in README):
 * - Findings and truths are matched by class: step regression, improvement, drift, environment change (backend
 *   fallback or adapter change). A finding matches an unmatched truth of its class when its index is within the
 *   margin of the truth's: max(2, ceil(5 % of the length)) points (2 at 20 points, 3 at 60, 10 at 200).
 * - A drift finding matches a drift truth when the stretches overlap by at least half of the true drift (where it
 *   starts is uncertain by nature). A staircase of steps on a drift scores one miss and every step a false positive.
 * - A fallback is an environment truth at its first index (0 for a fallback at the start). A step blamed on the code
 *   at a fallback's edges is a false positive; the fallback itself, unreported, a miss.
 * - Every finding that matches no truth is a false positive (an improvement at the end of a warm-up included).
 * - F1 = 2 TP / (2 TP + FP + FN) over the series whose change is at least 2 noise sds (k >= 2) plus every series
 *   without a code change (k = 0): the target population. Recall by k is printed separately.
 * - Alarmed: share of series with no regression or drift truth (k = 0, improvements, fallbacks) that got at least
 *   one unmatched step-regression or drift finding.
 */
import {
  cusumDetector,
  detectFindings,
  type Detection,
  environmentChanges,
  FINDING_CLASS,
  legacyDetectRegressions,
  type Metric,
  peltDetector,
  seededRandom,
  segmentByEnvironment,
  type SeriesPoint,
  zScoreDetector,
} from '@browser-pool/db-integration';

import { FAMILIES, type Family, labelledGrid, type LabelledSeries, LENGTHS, type Truth } from './labelled-series';

export type DetectorFn = (points: SeriesPoint[]) => Detection[];

/** Environment findings plus a values-only detector within each constant-environment stretch. */
function withEnvironment(fn: (values: number[], metric: Metric) => Detection[]): DetectorFn {
  return (points) => {
    const out = environmentChanges(points, 'webgpu', 'latency');
    for (const [s, e] of segmentByEnvironment(points)) {
      out.push(...fn(points.slice(s, e).map((p) => p.value), 'latency').map((d) => ({ ...d, index: d.index + s })));
    }
    return out;
  };
}

export const DETECTORS: Record<string, DetectorFn> = {
  'threshold (old)': (p) => legacyDetectRegressions(p, 'webgpu', 'latency', 'threshold'),
  'z-score': withEnvironment(zScoreDetector),
  CUSUM: withEnvironment(cusumDetector),
  PELT: withEnvironment(peltDetector),
  'rank (old)': (p) => legacyDetectRegressions(p, 'webgpu', 'latency', 'rank-changepoint'),
  ours: (p) => detectFindings(p, 'webgpu', 'latency'),
};

type Class = Truth['kind'];
const classOf = (d: Detection): Class => (FINDING_CLASS[d.kind] === 'environment change' ? 'environment' : (d.kind as Class));

export const marginFor = (length: number): number => Math.max(2, Math.ceil(0.05 * length));

/** TP/FP/FN of one series and whether a series without a regression or drift got a regression or drift alarm. */
export function scoreSeries(s: LabelledSeries, found: readonly Detection[]): { tp: number; fp: number; fn: number; alarmed: boolean | undefined } {
  const margin = marginFor(s.length);
  const used = new Set<number>();
  let tp = 0;
  for (const t of s.truth) {
    const j = found.findIndex((d, i) => {
      if (used.has(i) || classOf(d) !== t.kind) {
        return false;
      }
      if (t.kind === 'drift') {
        const end = d.endIndex ?? d.index + 1;
        const overlap = Math.min(end, t.end!) - Math.max(d.index, t.index);
        return overlap >= (t.end! - t.index) / 2;
      }
      return Math.abs(d.index - t.index) <= margin;
    });
    if (j >= 0) {
      used.add(j);
      tp++;
    }
  }
  const unmatched = found.filter((_, i) => !used.has(i));
  const codeFree = !s.truth.some((t) => t.kind === 'regression' || t.kind === 'drift');
  return {
    tp,
    fp: unmatched.length,
    fn: s.truth.length - tp,
    alarmed: codeFree ? unmatched.some((d) => d.kind === 'regression' || d.kind === 'drift') : undefined,
  };
}

export interface Cell {
  family: Family;
  length: number;
  detector: string;
  f1: number;
  tp: number;
  fp: number;
  fn: number;
  /** Alarmed share of the code-change-free series, and how many there were. */
  alarmed: number;
  codeFree: number;
  /** Recall of code-change truths by step size k. */
  recallByK: Record<number, number>;
}

export function gridQuality(perCell: number, firstSeed = 1): Cell[] {
  const grid = labelledGrid(perCell, firstSeed);
  const cells: Cell[] = [];
  for (const [detector, detect] of Object.entries(DETECTORS)) {
    for (const family of FAMILIES) {
      for (const length of LENGTHS) {
        const series = grid.filter((s) => s.family === family && s.length === length);
        let tp = 0;
        let fp = 0;
        let fn = 0;
        let alarmed = 0;
        let codeFree = 0;
        const hitsByK: Record<number, [number, number]> = {};
        for (const s of series) {
          const r = scoreSeries(s, detect(s.points));
          if (s.stepSigmas === 0 || s.stepSigmas >= 2) {
            tp += r.tp;
            fp += r.fp;
            fn += r.fn;
          }
          if (r.alarmed !== undefined) {
            codeFree++;
            alarmed += r.alarmed ? 1 : 0;
          }
          if (s.stepSigmas > 0) {
            const h = (hitsByK[s.stepSigmas] ??= [0, 0]);
            h[0] += r.tp;
            h[1] += r.tp + r.fn;
          }
        }
        const recallByK = Object.fromEntries(Object.entries(hitsByK).map(([k, [hit, all]]) => [k, all === 0 ? NaN : hit / all]));
        cells.push({ family, length, detector, f1: 2 * tp + fp + fn === 0 ? 1 : (2 * tp) / (2 * tp + fp + fn), tp, fp, fn, alarmed: codeFree === 0 ? 0 : alarmed / codeFree, codeFree, recallByK });
      }
    }
  }
  return cells;
}

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
