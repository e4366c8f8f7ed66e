/**
 * The project's previous detector, kept unchanged for side-by-side comparison in the labelled bench (bench/): binary
 * segmentation with a Mann-Whitney statistic at a fixed |z| >= 3.5, median shift >= 5 %, >= 6 points each side, and
 * an environment rule that skipped every return to the requested backend (so a fallback at the start of a series was
 * never reported). Not used by the scan; `findings.ts` holds the detector that replaced it.
 */
import { environmentOf, segmentByEnvironment } from './environment';
import { type Detection, type Metric, type SeriesPoint, severityOf, thresholdDetector,THRESHOLDS } from './regression';
import { median, normalCdf } from './stats';

export interface LegacyRankOptions {
  /** Fewest points on each side of a split (persistence: a lone outlier is never a change). @default 6 */
  minSegment?: number;
  /** |z| of the rank statistic the best split must reach (calibrated on the labelled grid in bench/). @default 3.5 */
  zCritical?: number;
  /** Smallest relative median shift reported. @default 0.05 */
  minEffect?: number;
}

export interface LegacyChangePoint {
  index: number;
  z: number;
  p: number;
  /** Medians of the stretches before and after. */
  before: number;
  after: number;
}

/**
 * The split of values[s, e) with the largest standardized Mann-Whitney statistic. Ranks are computed once for the
 * stretch, so every split costs O(1) (the rank sum of the part after a split is a suffix sum): O(n log n) in all.
 */
function bestSplit(values: readonly number[], s: number, e: number, seg: number): { index: number; z: number } | undefined {
  const n = e - s;
  if (n < 2 * seg) {
    return undefined;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[s + a]! - values[s + b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[s + order[j + 1]!] === values[s + order[i]!]) {
      j++;
    }
    for (let k = i; k <= j; k++) {
      ranks[order[k]!] = (i + j) / 2 + 1;
    }
    i = j + 1;
  }
  let suffix = 0;
  let best: { index: number; z: number } | undefined;
  for (let k = n - 1; k >= seg; k--) {
    suffix += ranks[k]!;
    const n2 = n - k;
    const n1 = k;
    if (n2 < seg) {
      continue;
    }
    const u = suffix - (n2 * (n2 + 1)) / 2;
    const z = (u - (n1 * n2) / 2) / Math.sqrt((n1 * n2 * (n + 1)) / 12);
    if (best === undefined || Math.abs(z) > Math.abs(best.z)) {
      best = { index: s + k, z };
    }
  }
  return best;
}

/**
 * Change points in either direction by binary segmentation: the strongest rank split of a stretch is a change
 * point when it is significant and shifts the median by at least `minEffect`; both sides are then searched again.
 */
export function legacyRankChangePoints(values: readonly number[], options: LegacyRankOptions = {}): LegacyChangePoint[] {
  const seg = options.minSegment ?? 6;
  const zCrit = options.zCritical ?? 3.5;
  const minEffect = options.minEffect ?? 0.05;
  const found: LegacyChangePoint[] = [];
  const stack: [number, number][] = [[0, values.length]];
  while (stack.length > 0) {
    const [s, e] = stack.pop()!;
    const split = bestSplit(values, s, e, seg);
    if (split === undefined || Math.abs(split.z) < zCrit) {
      continue;
    }
    const before = median(values.slice(s, split.index));
    const after = median(values.slice(split.index, e));
    if (Math.abs((after - before) / before) < minEffect) {
      continue;
    }
    found.push({ index: split.index, z: split.z, p: 2 * (1 - normalCdf(Math.abs(split.z))), before, after });
    stack.push([s, split.index], [split.index, e]);
  }
  return found.sort((a, b) => a.index - b.index);
}

export function legacyRankChangePointDetector(values: readonly number[], metric: Metric, options: LegacyRankOptions = {}): Detection[] {
  const sign = THRESHOLDS[metric].sign;
  return legacyRankChangePoints(values, options)
    .filter((c) => sign * (c.after - c.before) > 0)
    .map((c) => {
      const change = (c.after - c.before) / c.before;
      return {
        index: c.index,
        detector: 'rank-changepoint' as const,
        kind: 'regression' as const,
        severity: severityOf(metric, change),
        baseline: c.before,
        current: c.after,
        changePct: change,
        pValue: c.p,
        detail: `median ${c.before.toPrecision(4)} -> ${c.after.toPrecision(4)} (${(change * 100).toFixed(1)} %), rank test z = ${c.z.toFixed(1)}`,
      };
    });
}

/**
 * Points where the backend or adapter that ran changed. A move away from the requested backend is a
 * `backend_fallback`; a different adapter (or real -> software) on the same backend is an `adapter_change`;
 * a return to the requested backend is a recovery and not reported.
 */
export function legacyEnvironmentChanges(points: readonly SeriesPoint[], requestedBackend: string, metric: Metric): Detection[] {
  const out: Detection[] = [];
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1]!;
    const cur = points[i]!;
    if (environmentOf(prev) === environmentOf(cur)) {
      continue;
    }
    const backendChanged = prev.backend !== cur.backend;
    if (backendChanged && cur.backend === requestedBackend) {
      continue;
    }
    const change = (cur.value - prev.value) / prev.value;
    out.push({
      index: i,
      detector: 'environment',
      kind: backendChanged ? 'backend_fallback' : 'adapter_change',
      severity: severityOf(metric, change),
      baseline: prev.value,
      current: cur.value,
      changePct: change,
      pValue: undefined,
      detail: backendChanged
        ? `ran on ${cur.backend} instead of ${prev.backend} (requested ${requestedBackend}): not a code regression`
        : `adapter changed from ${prev.adapter ?? 'none'}${prev.isRealHardware ? '' : ' (software)'} to ${cur.adapter ?? 'none'}${cur.isRealHardware ? '' : ' (software)'}`,
    });
  }
  return out;
}

/** Fallback-aware detection on one series: environment changes, then the detector within each constant stretch. */
export function legacyDetectRegressions(points: readonly SeriesPoint[], requestedBackend: string, metric: Metric, detector: 'threshold' | 'rank-changepoint'): Detection[] {
  const out = legacyEnvironmentChanges(points, requestedBackend, metric);
  for (const [s, e] of segmentByEnvironment(points)) {
    const values = points.slice(s, e).map((p) => p.value);
    const found = detector === 'threshold' ? thresholdDetector(values, metric) : legacyRankChangePointDetector(values, metric);
    out.push(...found.map((d) => ({ ...d, index: d.index + s })));
  }
  return out.sort((a, b) => a.index - b.index);
}
