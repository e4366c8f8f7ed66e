/**
 * Time series per model x browser x backend x batch: baseline (median of the latest points), robust trend
 * (Theil-Sen slope over the latest 50 points, % of baseline per day) and anomalies (points more than 3.5 robust sigmas from the median).
 */
import { sqlTimestamp, type Store } from '../store/store';
import { mad, median, theilSen } from './stats';

export interface SeriesTrend {
  model: string;
  browser: string;
  backend: string;
  batchSize: number;
  points: { at: number; p50: number; throughput: number | null }[];
  baselineMs: number;
  /** null with fewer than 5 points or less than an hour of history: too little to call a trend. */
  trendPctPerDay: number | null;
  anomalies: { at: number; p50: number; robustZ: number }[];
}

export async function loadTrends(store: Store, q: { days?: number; model?: string; browser?: string; maxPoints?: number } = {}): Promise<SeriesTrend[]> {
  const c = await store.columns(
    `SELECT model_name, browser, backend, batch_size, epoch_ms(recorded_at) AS at, p50_ms, throughput
     FROM measurements
     WHERE recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL AND p50_ms > 0
       AND (?::VARCHAR IS NULL OR model_name = ?) AND (?::VARCHAR IS NULL OR browser = ?)
     QUALIFY row_number() OVER (PARTITION BY model_name, browser, backend, batch_size ORDER BY recorded_at DESC) <= ?
     ORDER BY model_name, browser, backend, batch_size, recorded_at`,
    [sqlTimestamp(new Date(Date.now() - (q.days ?? 30) * 86_400_000)), q.model ?? null, q.model ?? null, q.browser ?? null, q.browser ?? null, q.maxPoints ?? 200],
  );
  const n = c.at?.length ?? 0;
  const out: SeriesTrend[] = [];
  for (let s = 0; s < n; ) {
    const key = (i: number): string => `${String(c.model_name![i])}|${String(c.browser![i])}|${String(c.backend![i])}|${String(c.batch_size![i])}`;
    let e = s + 1;
    while (e < n && key(e) === key(s)) {
      e++;
    }
    const points = [];
    for (let i = s; i < e; i++) {
      points.push({ at: c.at![i] as number, p50: c.p50_ms![i] as number, throughput: (c.throughput![i] as number | null) ?? null });
    }
    out.push(trendOf(String(c.model_name![s]), String(c.browser![s]), String(c.backend![s]), c.batch_size![s] as number, points));
    s = e;
  }
  return out;
}

export function trendOf(model: string, browser: string, backend: string, batchSize: number, points: SeriesTrend['points']): SeriesTrend {
  const values = points.map((p) => p.p50);
  const baselineMs = median(values.slice(-10));
  // Theil-Sen is O(n^2): the trend is that of the latest 50 points (what "trending now" means anyway).
  const recent = points.slice(-50);
  const slopePerMs = theilSen(
    recent.map((p) => p.at),
    recent.map((p) => p.p50),
  );
  const center = median(values);
  const sigma = mad(values);
  const anomalies =
    sigma === 0
      ? []
      : points.map((p) => ({ at: p.at, p50: p.p50, robustZ: (p.p50 - center) / sigma })).filter((a) => Math.abs(a.robustZ) > 3.5);
  const spanMs = recent.length === 0 ? 0 : recent[recent.length - 1]!.at - recent[0]!.at;
  const trendPctPerDay = recent.length >= 5 && spanMs >= 3_600_000 ? ((slopePerMs * 86_400_000) / baselineMs) * 100 : null;
  return { model, browser, backend, batchSize, points, baselineMs, trendPctPerDay, anomalies };
}
