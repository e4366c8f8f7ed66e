/**
 * `compare --model M --metric throughput|latency|memory --by browser|backend|batch` and
 * `GET /performance/comparison/:model`: the median of one metric per group over every stored measurement of a model
 * (pool time series and benchmark results), with each group's ratio to the best.
 */
import { DbError, DbErrorCode } from '../errors';
import { sqlTimestamp, type Store } from '../store/store';

export const COMPARE_METRICS = ['latency', 'throughput', 'memory'] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];
export const COMPARE_BY = ['browser', 'backend', 'batch'] as const;
export type CompareBy = (typeof COMPARE_BY)[number];

export interface CompareRequest {
  model: string;
  /** @default 'latency' */
  metric?: CompareMetric;
  /** @default 'browser' */
  by?: CompareBy;
  /** @default 30 */
  days?: number;
}

export interface ComparisonRow {
  group: string;
  measurements: number;
  value: number;
  unit: string;
  /** value / best value: >= 1 for latency and memory (lower is better), <= 1 for throughput. */
  ratioToBest: number;
  /** Every measurement in the group ran on real hardware (no software WebGPU adapter). */
  isRealHardware: boolean;
}

const COLUMN: Record<CompareMetric, { column: string; unit: string; higherIsBetter: boolean }> = {
  latency: { column: 'p50_ms', unit: 'ms (p50)', higherIsBetter: false },
  throughput: { column: 'throughput', unit: 'items/s', higherIsBetter: true },
  memory: { column: 'memory_mb', unit: 'MB', higherIsBetter: false },
};
const GROUP: Record<CompareBy, string> = { browser: 'browser', backend: 'backend', batch: 'CAST(batch_size AS VARCHAR)' };

export async function compareModel(store: Store, request: CompareRequest): Promise<ComparisonRow[]> {
  const metric = request.metric ?? 'latency';
  const by = request.by ?? 'browser';
  const days = request.days ?? 30;
  if (!COMPARE_METRICS.includes(metric)) {
    throw new DbError(DbErrorCode.InvalidArgument, `metric must be one of ${COMPARE_METRICS.join(' | ')}, got ${JSON.stringify(metric)}`);
  }
  if (!COMPARE_BY.includes(by)) {
    throw new DbError(DbErrorCode.InvalidArgument, `by must be one of ${COMPARE_BY.join(' | ')}, got ${JSON.stringify(by)}`);
  }
  if (typeof request.model !== 'string' || request.model === '') {
    throw new DbError(DbErrorCode.InvalidArgument, 'model is required (a model name as stored, e.g. bert-tiny)');
  }
  if (!(days > 0)) {
    throw new DbError(DbErrorCode.InvalidArgument, `days must be a positive number, got ${days}`);
  }
  const { column, unit, higherIsBetter } = COLUMN[metric];
  store.flushAll();
  const rows = await store.all<{ grp: string; n: number; v: number; real: boolean }>(
    `SELECT ${GROUP[by]} AS grp, count(*) AS n, median(${column}) AS v, bool_and(is_real_hardware) AS real
     FROM measurements WHERE model_name = ? AND recorded_at >= ?::TIMESTAMP AND ${column} IS NOT NULL AND NOT isnan(${column})
     GROUP BY grp ORDER BY v ${higherIsBetter ? 'DESC' : 'ASC'}`,
    [request.model, sqlTimestamp(new Date(Date.now() - days * 86_400_000))],
  );
  const best = rows[0]?.v;
  return rows.map((r) => ({ group: r.grp, measurements: r.n, value: r.v, unit, ratioToBest: best === undefined || best === 0 ? 1 : r.v / best, isRealHardware: r.real }));
}
