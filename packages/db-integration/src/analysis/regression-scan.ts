/**
 * Runs the regression detectors over every stored series (pool time series and benchmark results) and stores new
 * findings in `performance_regression` (open); findings already stored are not duplicated, and their status
 * (acknowledged, resolved) is kept.
 */
import { DbError, DbErrorCode } from '../errors';
import { sqlTimestamp, type Store } from '../store/store';
import { type DetectorName, detectRegressions } from './findings';
import { type Detection, type Metric, type SeriesPoint } from './regression';

export interface ScanOptions {
  /** Only measurements of the last N days. @default 90 */
  days?: number;
  /** Newest points per series that are examined. @default 500 */
  maxPointsPerSeries?: number;
  /** @default ['threshold', 'rank-changepoint'] */
  detectors?: DetectorName[];
  /** @default ['latency', 'throughput', 'memory'] */
  metrics?: Metric[];
}

export interface ScanResult {
  series: number;
  points: number;
  /** Findings this scan stored (new ones only). */
  inserted: number;
  /** Every finding of this scan, new or already stored. */
  findings: number;
  ms: number;
}

const METRIC_COLUMN: Record<Metric, string> = { latency: 'p50_ms', throughput: 'throughput', memory: 'memory_mb' };

export type RegressionStatus = 'open' | 'acknowledged' | 'resolved';

export async function scanRegressions(store: Store, options: ScanOptions = {}): Promise<ScanResult> {
  const started = performance.now();
  const days = options.days ?? 90;
  if (!(days > 0)) {
    throw new DbError(DbErrorCode.InvalidArgument, `days must be a positive number, got ${days}`);
  }
  const detectors = options.detectors ?? ['threshold', 'rank-changepoint'];
  const metrics = options.metrics ?? ['latency', 'throughput', 'memory'];
  const since = sqlTimestamp(new Date(Date.now() - days * 86_400_000));
  // Numbers only cross into JS (strings are looked up once per series): reading 1M rows is the scan's main cost.
  const c = await store.columns(
    `WITH m AS (
       SELECT source, model_name, browser, requested_backend, batch_size,
              concat_ws('/', coalesce(compute_shader_optimized::VARCHAR, '-'), coalesce(precompile_shaders::VARCHAR, '-'),
                        coalesce(parallel_loading::VARCHAR, '-'), coalesce(mixed_precision::VARCHAR, '-'), coalesce(precision_bits::VARCHAR, '-')) AS flags,
              recorded_at, p50_ms, throughput, memory_mb,
              concat_ws('|', coalesce(backend, 'unknown'), coalesce(adapter_architecture, '-'), coalesce(is_real_hardware, false)) AS env, git_commit
       FROM measurements
       WHERE recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL
       QUALIFY row_number() OVER (PARTITION BY source, model_name, browser, requested_backend, batch_size, flags ORDER BY recorded_at DESC) <= ?
     )
     SELECT dense_rank() OVER (ORDER BY source, model_name, browser, requested_backend, batch_size, flags)::DOUBLE AS series,
            dense_rank() OVER (ORDER BY env)::DOUBLE AS env_id, epoch_ms(recorded_at)::DOUBLE AS t_ms,
            p50_ms, throughput, memory_mb
     FROM m ORDER BY series, t_ms`,
    [since, options.maxPointsPerSeries ?? 500],
  );
  const meta = await store.all<{ series: number; key: string; source: string; model_name: string; browser: string; requested_backend: string; batch_size: number }>(
    `WITH m AS (
       SELECT DISTINCT source, model_name, browser, requested_backend, batch_size,
              concat_ws('/', coalesce(compute_shader_optimized::VARCHAR, '-'), coalesce(precompile_shaders::VARCHAR, '-'),
                        coalesce(parallel_loading::VARCHAR, '-'), coalesce(mixed_precision::VARCHAR, '-'), coalesce(precision_bits::VARCHAR, '-')) AS flags
       FROM measurements WHERE recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL)
     SELECT dense_rank() OVER (ORDER BY source, model_name, browser, requested_backend, batch_size, flags) AS series,
            concat_ws('|', source, model_name, browser, requested_backend, batch_size, flags) AS key, source, model_name, browser, requested_backend, batch_size
     FROM m`,
    [since],
  );
  const envs = await store.all<{ id: number; backend: string; adapter: string; real: string }>(
    `SELECT dense_rank() OVER (ORDER BY env) AS id, split_part(env, '|', 1) AS backend, split_part(env, '|', 2) AS adapter, split_part(env, '|', 3) AS real
     FROM (SELECT DISTINCT concat_ws('|', coalesce(backend, 'unknown'), coalesce(adapter_architecture, '-'), coalesce(is_real_hardware, false)) AS env
           FROM measurements WHERE recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL)`,
    [since],
  );
  const seriesMeta = new Map(meta.map((m) => [m.series, m]));
  const envOf = new Map(envs.map((e) => [e.id, { backend: e.backend, adapter: e.adapter === '-' ? undefined : e.adapter, isRealHardware: e.real === 'true' }]));
  const n = c.t_ms?.length ?? 0;
  const existing = new Set(
    (await store.columns("SELECT concat_ws('|', series_key, metric, detector, kind, epoch_ms(change_at)) AS k FROM performance_regression")).k as string[],
  );
  const writer = await store.writer('performance_regression', { idColumn: 'id' });
  let series = 0;
  let inserted = 0;
  let findings = 0;
  const now = new Date();
  const seriesCol = c.series!;
  for (let s = 0; s < n; ) {
    let e = s + 1;
    while (e < n && seriesCol[e] === seriesCol[s]) {
      e++;
    }
    const m = seriesMeta.get(seriesCol[s] as number)!;
    const key = m.key;
    series++;
    for (const metric of metrics) {
      const col = c[METRIC_COLUMN[metric]]!;
      const idx: number[] = [];
      for (let i = s; i < e; i++) {
        if (typeof col[i] === 'number' && (col[i] as number) > 0) {
          idx.push(i);
        }
      }
      const points: SeriesPoint[] = idx.map((i) => ({ at: c.t_ms![i] as number, value: col[i] as number, ...envOf.get(c.env_id![i] as number)! }));
      const found = new Map<string, Detection>();
      for (const detector of detectors) {
        for (const d of detectRegressions(points, m.requested_backend, metric, detector)) {
          found.set(`${d.detector}|${d.kind}|${d.index}`, d);
        }
      }
      for (const d of found.values()) {
        findings++;
        const at = points[d.index]!.at;
        const id = [key, metric, d.detector, d.kind, at].join('|');
        if (existing.has(id)) {
          continue;
        }
        existing.add(id);
        inserted++;
        writer.push({
          detected_at: now,
          series_key: key,
          source: m.source,
          model_name: m.model_name,
          browser: m.browser,
          requested_backend: m.requested_backend,
          batch_size: m.batch_size,
          metric,
          detector: d.detector,
          kind: d.kind,
          severity: d.severity,
          baseline_value: d.baseline,
          current_value: d.current,
          change_pct: d.changePct * 100,
          p_value: d.pValue ?? null,
          change_at: new Date(at),
          status: 'open',
          details: { detail: d.detail, points: points.length },
        });
      }
    }
    s = e;
  }
  writer.close();
  return { series, points: n, inserted, findings, ms: performance.now() - started };
}

/** Marks a stored regression acknowledged or resolved (or re-opens it), with an optional note. */
export async function setRegressionStatus(store: Store, id: number, status: RegressionStatus, note?: string): Promise<void> {
  if (!['open', 'acknowledged', 'resolved'].includes(status)) {
    throw new DbError(DbErrorCode.InvalidArgument, `status must be open | acknowledged | resolved, got ${JSON.stringify(status)}`);
  }
  const row = await store.one<{ n: number }>('SELECT count(*) AS n FROM performance_regression WHERE id = ?', [id]);
  if ((row?.n ?? 0) === 0) {
    throw new DbError(DbErrorCode.InvalidArgument, `no regression with id ${id}`);
  }
  await store.run('UPDATE performance_regression SET status = ?, status_note = ?, status_changed_at = ?::TIMESTAMP WHERE id = ?', [
    status,
    note ?? null,
    sqlTimestamp(new Date()),
    id,
  ]);
}
