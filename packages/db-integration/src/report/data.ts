/** Everything a report shows, gathered once from the database with the caller's filters. */
import type { BrowserRecommendation } from '@browser-pool/pool';

import { type CompatibilityCell, compatibilityMatrix } from '../analysis/compatibility';
import { detectLimits, loadLimitRows, type ResultLimit } from '../analysis/limits';
import { type FlagImpact, flagImpact, loadImpactRows } from '../analysis/optimization';
import { loadCandidates, recommend } from '../analysis/recommend';
import { type DetectionKind, FINDING_CLASS } from '../analysis/regression';
import { type FindingDetails } from '../analysis/regression-scan';
import { loadTrends, type SeriesTrend } from '../analysis/trends';
import { DbError, DbErrorCode } from '../errors';
import { gitInfo } from '../store/environment';
import { sqlTimestamp, type Store } from '../store/store';

export interface ReportFilter {
  /** @default 30 */
  days?: number;
  model?: string;
  browser?: string;
}

export interface PerformanceRow {
  model: string;
  modelType: string;
  browser: string;
  backend: string;
  batchSize: number;
  samples: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  throughput: number | null;
  initMs: number | null;
  firstRunMs: number | null;
  memoryMb: number | null;
  isRealHardware: boolean;
  note: string | null;
}

export interface RegressionRow {
  id: number;
  detectedAt: Date;
  changeAt: Date;
  model: string;
  browser: string;
  backend: string;
  batchSize: number;
  metric: string;
  detector: string;
  kind: string;
  severity: string;
  baseline: number | null;
  current: number | null;
  changePct: number | null;
  status: string;
  detail: string;
  /** Step regression, improvement, drift or environment change (from `kind`; older rows without details too). */
  findingClass: string;
  /** ~95 % interval of the change in %, when the detector estimated one. */
  intervalPct: [number, number] | null;
  /** The change lies after commit `from` and at or before commit `to`. */
  commits: { from: string | null; to: string | null };
  /** The points compared (nearest the change), so the finding can be judged without rerunning. */
  evidence: FindingDetails['evidence'];
  /** Drift only. */
  slope: FindingDetails['slope'];
  endAt: string | null;
}

export interface ReportData {
  generatedAt: Date;
  database: string;
  schemaVersion: number;
  filter: Required<Pick<ReportFilter, 'days'>> & ReportFilter;
  gitCommit: string | undefined;
  recommendations: BrowserRecommendation[];
  /** Results bound by something other than the model's work (timer, flat across batch sizes, software adapter). */
  limits: ResultLimit[];
  performance: PerformanceRow[];
  regressions: RegressionRow[];
  trends: SeriesTrend[];
  impact: FlagImpact[];
  compatibility: CompatibilityCell[];
}

export function validateFilter(f: ReportFilter): Required<Pick<ReportFilter, 'days'>> & ReportFilter {
  const days = f.days ?? 30;
  if (typeof days !== 'number' || !(days > 0)) {
    throw new DbError(DbErrorCode.InvalidArgument, `days must be a positive number, got ${JSON.stringify(f.days)}`);
  }
  return { ...f, days };
}

/** `since`, model and browser as bound parameters for `recent(...)`-filtered queries. */
function filterParams(f: ReportFilter & { days: number }): (string | null)[] {
  return [sqlTimestamp(new Date(Date.now() - f.days * 86_400_000)), f.model ?? null, f.model ?? null, f.browser ?? null, f.browser ?? null];
}

export async function performanceRows(store: Store, f: ReportFilter & { days: number }): Promise<PerformanceRow[]> {
  const rows = await store.all<Record<string, unknown>>(
    `SELECT model_name, any_value(model_type) AS model_type, browser, backend, batch_size, sum(samples)::BIGINT AS samples,
            median(p50_ms) AS p50, median(p90_ms) AS p90, max(p99_ms) AS p99, median(throughput) AS throughput,
            median(init_ms) AS init_ms, median(first_run_ms) AS first_run_ms, max(memory_mb) AS memory_mb,
            bool_and(is_real_hardware) AS real, any_value(simulation_reason) AS note
     FROM measurements
     WHERE recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL AND (?::VARCHAR IS NULL OR model_name = ?) AND (?::VARCHAR IS NULL OR browser = ?)
     GROUP BY model_name, browser, backend, batch_size
     ORDER BY model_name, p50`,
    filterParams(f),
  );
  return rows.map((r) => ({
    model: r.model_name as string,
    modelType: (r.model_type as string | null) ?? 'unknown',
    browser: r.browser as string,
    backend: r.backend as string,
    batchSize: r.batch_size as number,
    samples: r.samples as number,
    p50Ms: r.p50 as number,
    p90Ms: r.p90 as number,
    p99Ms: r.p99 as number,
    throughput: r.throughput as number | null,
    initMs: r.init_ms as number | null,
    firstRunMs: r.first_run_ms as number | null,
    memoryMb: r.memory_mb as number | null,
    isRealHardware: r.real as boolean,
    note: r.note as string | null,
  }));
}

export async function regressionRows(store: Store, f: ReportFilter & { days: number }): Promise<RegressionRow[]> {
  const rows = await store.all<Record<string, unknown>>(
    `SELECT * FROM performance_regression
     WHERE change_at >= ?::TIMESTAMP AND (?::VARCHAR IS NULL OR model_name = ?) AND (?::VARCHAR IS NULL OR browser = ?)
     ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, change_at DESC LIMIT 500`,
    filterParams(f),
  );
  return rows.map((r) => ({
    id: r.id as number,
    detectedAt: r.detected_at as Date,
    changeAt: r.change_at as Date,
    model: r.model_name as string,
    browser: r.browser as string,
    backend: r.requested_backend as string,
    batchSize: r.batch_size as number,
    metric: r.metric as string,
    detector: r.detector as string,
    kind: r.kind as string,
    severity: r.severity as string,
    baseline: r.baseline_value as number | null,
    current: r.current_value as number | null,
    changePct: r.change_pct as number | null,
    status: r.status as string,
    ...findingFields(r.kind as string, r.git_commit as string | null, (r.details as string | null) ?? '{}'),
  }));
}

/** The finding's class, interval, commit range and evidence from its `details` JSON (rows from before they were stored get nulls). */
function findingFields(kind: string, commit: string | null, json: string): Pick<RegressionRow, 'detail' | 'findingClass' | 'intervalPct' | 'commits' | 'evidence' | 'slope' | 'endAt'> {
  const d = JSON.parse(json) as Partial<FindingDetails>;
  return {
    detail: d.detail ?? '',
    findingClass: d.findingClass ?? FINDING_CLASS[kind as DetectionKind] ?? kind,
    intervalPct: d.intervalPct ?? null,
    commits: d.commits ?? { from: null, to: commit },
    evidence: d.evidence ?? null,
    slope: d.slope ?? null,
    endAt: d.endAt ?? null,
  };
}

export async function gatherReport(store: Store, filter: ReportFilter = {}): Promise<ReportData> {
  const f = validateFilter(filter);
  return {
    generatedAt: new Date(),
    database: store.path,
    schemaVersion: store.schemaVersion,
    filter: f,
    gitCommit: gitInfo().commit,
    recommendations: recommend(await loadCandidates(store, f)),
    limits: detectLimits(await loadLimitRows(store, f)),
    performance: await performanceRows(store, f),
    regressions: await regressionRows(store, f),
    trends: await loadTrends(store, f),
    impact: flagImpact(await loadImpactRows(store, f.days, f.model)),
    compatibility: await compatibilityMatrix(store, f),
  };
}
