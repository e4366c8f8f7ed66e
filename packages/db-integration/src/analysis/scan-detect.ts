/**
 * Detection on one series of the scan, the same on the main thread and in a detection worker (scan-workers.ts): the
 * points of one metric (positive values only) and the detectors' findings on them.
 */
import { type DetectorName, detectRegressions } from './findings';
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
  const idx: number[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = rows.from; i < rows.to; i++) {
    if (col[i]! > 0) {
      idx.push(i - rows.from);
      lo = Math.min(lo, col[i]!);
      hi = Math.max(hi, col[i]!);
    }
  }
  // A constant series (a fixed memory figure) has nothing to find; skipping it saves a third of the scan.
  if (idx.length < 2 || (lo === hi && new Set(idx.map((i) => columns.env[rows.from + i])).size === 1)) {
    return undefined;
  }
  const points = idx.map((i): SeriesPoint => {
    const env = environments[columns.env[rows.from + i]!]!;
    return { at: columns.at[rows.from + i]!, value: col[rows.from + i]!, backend: env.backend, adapter: env.adapter, isRealHardware: env.isRealHardware, browserVersion: env.browserVersion };
  });
  return { idx, points };
}

/** Each metric's findings on one series (detectors in order; one finding per detector, kind and index). */
export function detectSeries(columns: ScanColumns, rows: SeriesRows, environments: readonly Environment[], metrics: readonly Metric[], detectors: readonly DetectorName[]): Detection[][] {
  return metrics.map((metric) => {
    const series = metricPoints(columns, rows, metric, environments);
    if (series === undefined) {
      return [];
    }
    const found = new Map<string, Detection>();
    for (const detector of detectors) {
      for (const d of detectRegressions(series.points, rows.requestedBackend, metric, detector)) {
        found.set(`${d.detector}|${d.kind}|${d.index}`, d);
      }
    }
    return [...found.values()];
  });
}
