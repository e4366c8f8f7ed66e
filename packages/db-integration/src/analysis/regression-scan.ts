/**
 * Runs the regression detectors over every stored series (pool time series and benchmark results) and stores new
 * findings in `performance_regression` (open); findings already stored are not duplicated, and their status
 * (acknowledged, resolved) is kept.
 */
import { DbError, DbErrorCode } from '../errors';
import { sqlTimestamp, type Store } from '../store/store';
import { type Detection, type DetectorName, detectRegressions, type Metric, type SeriesPoint } from './regression';

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
  const c = await store.columns(
    `SELECT source, model_name, browser, requested_backend, batch_size,
            concat_ws('/', coalesce(compute_shader_optimized::VARCHAR, '-'), coalesce(precompile_shaders::VARCHAR, '-'),
                      coalesce(parallel_loading::VARCHAR, '-'), coalesce(mixed_precision::VARCHAR, '-'), coalesce(precision_bits::VARCHAR, '-')) AS flags,
            epoch_ms(recorded_at) AS at, p50_ms, throughput, memory_mb, backend, adapter_architecture, is_real_hardware, git_commit
     FROM measurements
     WHERE recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL
     QUALIFY row_number() OVER (PARTITION BY source, model_name, browser, requested_backend, batch_size, flags ORDER BY recorded_at DESC) <= ?
     ORDER BY source, model_name, browser, requested_backend, batch_size, flags, recorded_at`,
    [since, options.maxPointsPerSeries ?? 500],
  );
  const n = c.at?.length ?? 0;
  const existing = new Set(
    (await store.columns("SELECT concat_ws('|', series_key, metric, detector, kind, epoch_ms(change_at)) AS k FROM performance_regression")).k as string[],
  );
  const writer = await store.writer('performance_regression', { idColumn: 'id' });
  let series = 0;
  let inserted = 0;
  let findings = 0;
  const now = new Date();
  for (let s = 0; s < n; ) {
    const key = [c.source![s], c.model_name![s], c.browser![s], c.requested_backend![s], c.batch_size![s], c.flags![s]].join('|');
    let e = s + 1;
    while (e < n && [c.source![e], c.model_name![e], c.browser![e], c.requested_backend![e], c.batch_size![e], c.flags![e]].join('|') === key) {
      e++;
    }
    series++;
    for (const metric of metrics) {
      const col = c[METRIC_COLUMN[metric]]!;
      const idx: number[] = [];
      for (let i = s; i < e; i++) {
        if (typeof col[i] === 'number' && (col[i] as number) > 0) {
          idx.push(i);
        }
      }
      const points: SeriesPoint[] = idx.map((i) => ({
        at: c.at![i] as number,
        value: col[i] as number,
        backend: (c.backend![i] as string | null) ?? '?',
        adapter: (c.adapter_architecture![i] as string | null) ?? undefined,
        isRealHardware: c.is_real_hardware![i] === true,
      }));
      const found = new Map<string, Detection>();
      for (const detector of detectors) {
        for (const d of detectRegressions(points, String(c.requested_backend![s]), metric, detector)) {
          found.set(`${d.detector}|${d.kind}|${d.index}`, d);
        }
      }
      for (const d of found.values()) {
        findings++;
        const at = points[d.index]!.at;
        if (existing.has([key, metric, d.detector, d.kind, at].join('|'))) {
          continue;
        }
        inserted++;
        writer.push({
          detected_at: now,
          series_key: key,
          source: c.source![s],
          model_name: c.model_name![s],
          browser: c.browser![s],
          requested_backend: c.requested_backend![s],
          batch_size: c.batch_size![s],
          metric,
          detector: d.detector,
          kind: d.kind,
          severity: d.severity,
          baseline_value: d.baseline,
          current_value: d.current,
          change_pct: d.changePct * 100,
          p_value: d.pValue ?? null,
          change_at: new Date(at),
          git_commit: c.git_commit![idx[d.index]!] ?? null,
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
