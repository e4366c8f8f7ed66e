/**
 * Regression findings and the baseline detectors they are compared with. Pure functions over one series of
 * measurements (oldest first): the scan feeds them rows from the database and stores what they find.
 *
 * - `thresholdDetector`: the classic rule. The newest point against the mean of the points before it (never itself):
 *   latency +20 % (+35 % high), throughput -15 % (-25 % high), memory +25 % (+50 % high).
 * - `zScoreDetector`: lookback z-score (a common baseline in benchmark dashboards), for comparison.
 * - `baselines.ts`: a two-sided CUSUM and PELT (Killick et al. 2012), for comparison.
 * - `findings.ts`: the project's detector (calibrated rank/t change points, shape choice between steps, drift and
 *   seasonality, environment stretches anywhere in the series).
 */
import { mean, stdev } from './stats';

export type Metric = 'latency' | 'throughput' | 'memory';
export type Severity = 'low' | 'medium' | 'high';
/**
 * What a finding is. `regression` is a step regression (a new, worse level); `improvement` a step to a better level;
 * `drift` a gradual change over many points (one finding, with its slope); `backend_fallback` / `adapter_change` /
 * `browser_version` an environment change (what ran changed: never blamed on the code).
 */
export type DetectionKind = 'regression' | 'improvement' | 'drift' | 'backend_fallback' | 'adapter_change' | 'browser_version';

/** The four classes users see, by kind. */
export const FINDING_CLASS: Record<DetectionKind, 'step regression' | 'improvement' | 'drift' | 'environment change'> = {
  regression: 'step regression',
  improvement: 'improvement',
  drift: 'drift',
  backend_fallback: 'environment change',
  adapter_change: 'environment change',
  browser_version: 'environment change',
};

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
  /** The browser's version, where it was recorded (a change of it is an environment change). */
  browserVersion?: string | undefined;
}

export type DetectorId = 'threshold' | 'zscore' | 'cusum' | 'pelt' | 'rank-changepoint' | 'environment';

export interface Detection {
  /** Index of the first point at the new level (a drift's or an environment stretch's first point; may be 0). */
  index: number;
  detector: DetectorId;
  kind: DetectionKind;
  severity: Severity;
  /** Median (or mean, for the mean-based baselines) before and after; NaN where there is nothing to compare with. */
  baseline: number;
  current: number;
  /** (current - baseline) / baseline; for a drift, the total change over it. */
  changePct: number;
  pValue: number | undefined;
  detail: string;
  /** ~95 % interval of `changePct`, where the detector estimates one. */
  interval?: [number, number];
  /** End (exclusive) of a drift or an environment stretch. */
  endIndex?: number;
  /**
   * A step found on the points of several environments (code-change-merge.ts): the last point known to precede the
   * change. Else that is the last point compared before it.
   */
  changeAfter?: number;
  /**
   * [start, end) index ranges of the points compared: the evidence a reader can check without rerunning. `points`:
   * the indices compared, where the ranges also hold points of other environments (a series that alternates).
   */
  evidence?: { before: [number, number]; after: [number, number]; points?: { before: number[]; after: number[] } };
  /** Drift only: relative change per measurement (and per day, from the timestamps), with a ~95 % interval. */
  slope?: { perPoint: number; low: number; high: number; perDay: number | undefined };
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
