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
