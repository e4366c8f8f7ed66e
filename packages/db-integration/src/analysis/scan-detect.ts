/**
 * Detection on one series of the scan, the same on the main thread and in a detection worker (scan-workers.ts): the
 * points of one metric (positive values only) and the detectors' findings on them.
 */
import { type DetectorName, detectRegressions, type StretchMemo } from './findings';
import type { Detection, Metric, SeriesPoint } from './regression';
import type { Environment, ScanColumns } from './scan-read';

/** A series' rows [from, to) of the scan's columns. */
export interface SeriesRows {
  from: number;
  to: number;
  requestedBackend: string;
}

/** The points of `metric` in a series (positive values), with their row offsets; undefined when there is nothing to find. */
export function metricPoints(columns: ScanColumns, rows: Pick<SeriesRows, 'from' | 'to'>, metric: Metric, environments: readonly Environment[]): { idx: number[]; points: SeriesPoint[] } | undefined {
  const col = columns[metric];
  const envs = columns.env;
  let count = 0;
  let lo = Infinity;
  let hi = -Infinity;
  let firstEnv = -1;
  let oneEnv = true;
  for (let i = rows.from; i < rows.to; i++) {
    const v = col[i]!;
    if (v > 0) {
      count++;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      if (firstEnv === -1) {
        firstEnv = envs[i]!;
      } else if (envs[i] !== firstEnv) {
        oneEnv = false;
      }
    }
  }
  // A constant series (a fixed memory figure) has nothing to find; skipping it saves a third of the scan. Checked
  // before any point is built.
  if (count < 2 || (lo === hi && oneEnv)) {
    return undefined;
  }
  const idx: number[] = [];
  const points: SeriesPoint[] = [];
  for (let i = rows.from; i < rows.to; i++) {
    const v = col[i]!;
    if (v > 0) {
      const env = environments[envs[i]!]!;
      idx.push(i - rows.from);
      points.push({ at: columns.at[i]!, value: v, backend: env.backend, adapter: env.adapter, isRealHardware: env.isRealHardware, browserVersion: env.browserVersion });
    }
  }
  return { idx, points };
}

/** Each metric's findings on one series (detectors in order; one finding per detector, kind and index). */
export function detectSeries(columns: ScanColumns, rows: SeriesRows, environments: readonly Environment[], metrics: readonly Metric[], detectors: readonly DetectorName[]): Detection[][] {
  // One analysis per stretch serves every metric whose log values are another's shifted (throughput over latency).
  const memo: StretchMemo = new Map();
  return metrics.map((metric) => {
    const series = metricPoints(columns, rows, metric, environments);
    if (series === undefined) {
      return [];
    }
    const found = new Map<string, Detection>();
    for (const detector of detectors) {
      for (const d of detectRegressions(series.points, rows.requestedBackend, metric, detector, memo)) {
        found.set(`${d.detector}|${d.kind}|${d.index}`, d);
      }
    }
    return [...found.values()];
  });
}
