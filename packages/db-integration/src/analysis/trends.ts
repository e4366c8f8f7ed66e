/**
 * Time series per model x browser x backend x batch: baseline (median of the latest points), robust trend
 * (Theil-Sen slope over the latest 50 points, % of baseline per day) and anomalies (points more than 3.5 robust sigmas from the median).
 */
import { DbError, DbErrorCode } from '../errors';
import { sqlTimestamp, type Store } from '../store/store';
import { forEachRawChunk, isValid, type RawVector } from './scan-columns';
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

/**
 * The latest `maxPoints` (default 200) points of every series, in two queries in one transaction (one snapshot):
 * each series' key, number and time cut-off (the `maxPoints`-th latest point, `max(recorded_at, n)`: a hash
 * aggregate), then its points from that cut-off on, read as numbers straight from DuckDB's vectors. A window
 * `row_number()` over every row, ordered and read as JS values with the key strings on every row, took 4-7 s on the
 * bench's 1M-row database; this takes well under 1 s there (`npm run bench -- --suite db`, HTML report row).
 */
export async function loadTrends(store: Store, q: { days?: number; model?: string; browser?: string; maxPoints?: number } = {}): Promise<SeriesTrend[]> {
  const maxPoints = q.maxPoints ?? 200;
  if (!Number.isInteger(maxPoints) || maxPoints < 1) {
    throw new DbError(DbErrorCode.InvalidArgument, `maxPoints must be a positive integer, got ${String(q.maxPoints)}`);
  }
  const since = sqlTimestamp(new Date(Date.now() - (q.days ?? 30) * 86_400_000));
  const params = [since, q.model ?? null, q.model ?? null, q.browser ?? null, q.browser ?? null];
  const series = `WITH g AS (
      SELECT model_name, browser, backend, batch_size, max(recorded_at, ${maxPoints})[-1] AS cutoff
      FROM measurements
      WHERE recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL AND p50_ms > 0
        AND (?::VARCHAR IS NULL OR model_name = ?) AND (?::VARCHAR IS NULL OR browser = ?)
      GROUP BY model_name, browser, backend, batch_size),
    cut AS (SELECT row_number() OVER (ORDER BY model_name, browser, backend, batch_size) - 1 AS sid, * FROM g)`;
  return store.withConnection(async (connection) => {
    await connection.run('BEGIN TRANSACTION');
    try {
      const keys = (await connection.runAndReadAll(`${series} SELECT model_name, browser, backend, batch_size::DOUBLE AS batch_size FROM cut ORDER BY sid`, params)).getRowObjectsJS() as unknown as SeriesKey[];
      const points: SeriesTrend['points'][] = keys.map(() => []);
      await forEachRawChunk(
        connection,
        `${series}
         SELECT cut.sid::DOUBLE, epoch_ms(m.recorded_at)::DOUBLE, m.p50_ms::DOUBLE, m.throughput::DOUBLE
         FROM measurements m JOIN cut
           ON m.model_name IS NOT DISTINCT FROM cut.model_name AND m.browser = cut.browser
          AND m.backend IS NOT DISTINCT FROM cut.backend AND m.batch_size IS NOT DISTINCT FROM cut.batch_size
         WHERE m.recorded_at >= cut.cutoff AND m.p50_ms > 0`,
        params,
        (columns, rows) => {
          const [sid, at, p50, throughput] = columns as [NumberVector, NumberVector, NumberVector, NumberVector];
          for (let i = 0; i < rows; i++) {
            points[sid.values[i]!]!.push({ at: at.values[i]!, p50: p50.values[i]!, throughput: isValid(throughput.valid, i) ? throughput.values[i]! : null });
          }
        },
      );
      return keys.map((k, s) => {
        // Points tied with the cut-off can make a series longer than maxPoints: the latest maxPoints stay.
        const ordered = points[s]!.sort((a, b) => a.at - b.at).slice(-maxPoints);
        return trendOf(k.model_name, k.browser, String(k.backend), k.batch_size, ordered);
      });
    } finally {
      await connection.run('COMMIT');
    }
  });
}

type NumberVector = Extract<RawVector, { type: 'number' }>;
interface SeriesKey {
  model_name: string;
  browser: string;
  backend: string | null;
  batch_size: number;
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
