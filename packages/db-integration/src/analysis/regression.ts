/**
 * Regression detectors over one series of measurements (oldest first). Pure functions: the scan feeds them rows
 * from the database and stores what they find.
 *
 * - `thresholdDetector`: the classic rule. The newest point against the mean of the points before it (never itself):
 *   latency +20 % (+35 % high), throughput -15 % (-25 % high), memory +25 % (+50 % high).
 * - `zScoreDetector`: lookback z-score (a common baseline in benchmark dashboards), for comparison.
 * - `rankChangePointDetector` (ours): binary segmentation with a Mann-Whitney rank statistic (Pettitt-style): the
 *   strongest split of a stretch is a change point when it is significant AND shifts the median by at least
 *   `minEffect`, with at least `minSegment` points on each side; both sides are searched again. Ranks make it
 *   robust to outliers, the minimum segment to one-off hiccups, the minimum effect to tiny-but-significant shifts.
 * - `environmentChanges` + `segmentByEnvironment`: a change of the backend or adapter that actually ran (a silent
 *   fallback to WASM, a software adapter) is reported as that, and detectors run only within stretches where the
 *   environment is constant, so a fallback is never reported as a code regression.
 */
import { mean, median, normalCdf, stdev } from './stats';

export type Metric = 'latency' | 'throughput' | 'memory';
export type Severity = 'low' | 'medium' | 'high';
export type DetectionKind = 'regression' | 'backend_fallback' | 'adapter_change';

/** Relative change that counts as a regression (medium) and as a high-severity one; `sign` +1 when up is worse. */
export const THRESHOLDS: Record<Metric, { medium: number; high: number; sign: 1 | -1 }> = {
  latency: { medium: 0.2, high: 0.35, sign: 1 },
  throughput: { medium: 0.15, high: 0.25, sign: -1 },
  memory: { medium: 0.25, high: 0.5, sign: 1 },
};

export interface SeriesPoint {
  at: number;
  value: number;
  /** What actually ran for this point. */
  backend: string;
  adapter: string | undefined;
  isRealHardware: boolean;
}

export interface Detection {
  /** Index of the first point at the new level. */
  index: number;
  detector: 'threshold' | 'zscore' | 'rank-changepoint' | 'environment';
  kind: DetectionKind;
  severity: Severity;
  baseline: number;
  current: number;
  /** (current - baseline) / baseline. */
  changePct: number;
  pValue: number | undefined;
  detail: string;
}

export function severityOf(metric: Metric, change: number): Severity {
  const t = THRESHOLDS[metric];
  const worse = t.sign * change;
  return worse >= t.high ? 'high' : worse >= t.medium ? 'medium' : 'low';
}

/** Keeps the first of each run of consecutive alarm indices (one step trips a point-wise rule many times). */
function firstOfRuns(ds: Detection[]): Detection[] {
  return ds.filter((d, i) => i === 0 || ds[i - 1]!.index !== d.index - 1);
}

export interface ThresholdOptions {
  /** Points in the baseline mean. @default 10 */
  baselineWindow?: number;
  /** Fewest baseline points before judging. @default 3 */
  minBaseline?: number;
}

export function thresholdDetector(values: readonly number[], metric: Metric, options: ThresholdOptions = {}): Detection[] {
  const w = options.baselineWindow ?? 10;
  const min = options.minBaseline ?? 3;
  const t = THRESHOLDS[metric];
  const out: Detection[] = [];
  for (let i = min; i < values.length; i++) {
    const baseline = mean(values.slice(Math.max(0, i - w), i));
    const change = (values[i]! - baseline) / baseline;
    if (t.sign * change >= t.medium) {
      out.push({
        index: i,
        detector: 'threshold',
        kind: 'regression',
        severity: severityOf(metric, change),
        baseline,
        current: values[i]!,
        changePct: change,
        pValue: undefined,
        detail: `${(change * 100).toFixed(1)} % vs the mean of the previous ${Math.min(i, w)} points (threshold ${t.sign * t.medium * 100} %)`,
      });
    }
  }
  return firstOfRuns(out);
}

export interface ZScoreOptions {
  /** @default 20 */
  window?: number;
  /** @default 3 */
  z?: number;
  /** @default 5 */
  minBaseline?: number;
}

export function zScoreDetector(values: readonly number[], metric: Metric, options: ZScoreOptions = {}): Detection[] {
  const w = options.window ?? 20;
  const zMin = options.z ?? 3;
  const min = options.minBaseline ?? 5;
  const sign = THRESHOLDS[metric].sign;
  const out: Detection[] = [];
  for (let i = min; i < values.length; i++) {
    const base = values.slice(Math.max(0, i - w), i);
    const m = mean(base);
    const sd = stdev(base);
    const z = sd === 0 ? 0 : (sign * (values[i]! - m)) / sd;
    if (z >= zMin) {
      const change = (values[i]! - m) / m;
      out.push({
        index: i,
        detector: 'zscore',
        kind: 'regression',
        severity: severityOf(metric, change),
        baseline: m,
        current: values[i]!,
        changePct: change,
        pValue: undefined,
        detail: `z = ${z.toFixed(1)} over the previous ${base.length} points`,
      });
    }
  }
  return firstOfRuns(out);
}

export interface RankOptions {
  /** Fewest points on each side of a split (persistence: a lone outlier is never a change). @default 6 */
  minSegment?: number;
  /** |z| of the rank statistic the best split must reach (calibrated on the labelled grid in bench/). @default 3.5 */
  zCritical?: number;
  /** Smallest relative median shift reported. @default 0.05 */
  minEffect?: number;
}

export interface ChangePoint {
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
export function rankChangePoints(values: readonly number[], options: RankOptions = {}): ChangePoint[] {
  const seg = options.minSegment ?? 6;
  const zCrit = options.zCritical ?? 3.5;
  const minEffect = options.minEffect ?? 0.05;
  const found: ChangePoint[] = [];
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

export function rankChangePointDetector(values: readonly number[], metric: Metric, options: RankOptions = {}): Detection[] {
  const sign = THRESHOLDS[metric].sign;
  return rankChangePoints(values, options)
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

function environmentOf(p: SeriesPoint): string {
  return `${p.backend}|${p.adapter ?? '-'}|${p.isRealHardware}`;
}

/**
 * Points where the backend or adapter that ran changed. A move away from the requested backend is a
 * `backend_fallback`; a different adapter (or real -> software) on the same backend is an `adapter_change`;
 * a return to the requested backend is a recovery and not reported.
 */
export function environmentChanges(points: readonly SeriesPoint[], requestedBackend: string, metric: Metric): Detection[] {
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

/** [start, end) ranges where the environment is constant. */
export function segmentByEnvironment(points: readonly SeriesPoint[]): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= points.length; i++) {
    if (i === points.length || environmentOf(points[i]!) !== environmentOf(points[i - 1]!)) {
      out.push([start, i]);
      start = i;
    }
  }
  return out;
}

export type DetectorName = 'threshold' | 'rank-changepoint';

/** Fallback-aware detection on one series: environment changes, then the detector within each constant stretch. */
export function detectRegressions(points: readonly SeriesPoint[], requestedBackend: string, metric: Metric, detector: DetectorName): Detection[] {
  const out = environmentChanges(points, requestedBackend, metric);
  for (const [s, e] of segmentByEnvironment(points)) {
    const values = points.slice(s, e).map((p) => p.value);
    const found = detector === 'threshold' ? thresholdDetector(values, metric) : rankChangePointDetector(values, metric);
    out.push(...found.map((d) => ({ ...d, index: d.index + s })));
  }
  return out.sort((a, b) => a.index - b.index);
}
