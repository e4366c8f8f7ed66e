/**
 * Runs the regression detectors over every stored series (pool time series and benchmark results) and stores new
 * findings in `performance_regression` (open); findings already stored are not duplicated, and their status
 * (acknowledged, resolved) is kept.
 */
import { availableParallelism, loadavg } from 'node:os';

import { DbError, DbErrorCode } from '../errors';
import { sqlTimestamp, type Store } from '../store/store';
import type { DetectorName } from './findings';
import { type Detection, type DetectionKind, FINDING_CLASS, type Metric, type SeriesPoint } from './regression';
import { metricPoints } from './scan-detect';
import { readScanData, type ScanData, type SeriesMeta } from './scan-read';
import { detectAcrossThreads, startWorkers, stopWorkers, type Workers } from './scan-workers';

export { endParkedWorkers, parkedWorkers } from './scan-workers';

export interface ScanOptions {
  /** Only measurements of the last N days. @default 90 */
  days?: number;
  /** Newest points per series that are examined (a whole number >= 2). @default 500 */
  maxPointsPerSeries?: number;
  /** @default ['rank-changepoint'] (the classic 'threshold' rule on request: it alarms on noise, see bench/) */
  detectors?: DetectorName[];
  /** @default ['latency', 'throughput', 'memory'] */
  metrics?: Metric[];
  /**
   * Detection worker threads beside the main thread (0: detect in this thread only; at most MAX_WORKERS, 64).
   * @default see `defaultWorkers`: the cores but one (at most 7) from WORKERS_FROM_POINTS points on, unless the
   * machine is busy.
   */
  workers?: number;
  /**
   * Leave detection to the workers, so this thread's event loop stays free during it (a server scanning); the main
   * thread still detects whatever no worker could. @default false
   */
  detectOffMainThread?: boolean;
  /**
   * Skip series whose points in the window did not change since an incremental scan with the same max points,
   * detectors and metrics (regression_scan_state, which incremental scans update): their findings are stored
   * already. The first incremental scan reads everything (and costs the names query a hash of every row, which full
   * scans skip). Run a full scan (the default) after changing the detectors' code. @default false
   */
  incremental?: boolean;
}

/** Most detection workers a scan may be asked for (each is a thread with its own heap). */
export const MAX_WORKERS = 64;
const SCAN_DETECTORS: readonly DetectorName[] = ['rank-changepoint', 'threshold'];
const SCAN_METRICS: readonly Metric[] = ['latency', 'throughput', 'memory'];

/** Fewest points for which the scan starts detection workers by default (a worker needs ~0.1-0.3 s to start). */
export const WORKERS_FROM_POINTS = 100_000;

/**
 * Workers a scan starts unless told, and why. None when the 1-minute load average is at or above the cores but half
 * a core: Linux shares CPU between process groups (autogroup), so on a busy machine a worker gets no more CPU for this
 * process, only costs its start and its cold JIT (measured on 2 cores at load ~12: detection of the 1M-row bench
 * database 3.3-3.4 s with one worker vs 1.5-2.7 s without).
 */
export function defaultWorkers(points: number, offMainThread: boolean): { workers: number; why: string } {
  const cores = availableParallelism();
  const load = loadavg()[0]!;
  if (!offMainThread && points < WORKERS_FROM_POINTS) {
    return { workers: 0, why: `none: ${points} points < ${WORKERS_FROM_POINTS}` };
  }
  if (!offMainThread && (cores < 2 || load >= cores - 0.5)) {
    return { workers: 0, why: `none: load average ${load.toFixed(1)} on ${cores} cores` };
  }
  const workers = Math.max(1, Math.min(cores - 1, 7));
  return { workers, why: `${workers} (load average ${load.toFixed(1)} on ${cores} cores)` };
}

export interface ScanResult {
  /** Series measured in the window (read and detected, or skipped as unchanged). */
  series: number;
  /** Series skipped as unchanged (incremental scans). */
  unchanged: number;
  /** Points read and examined. */
  points: number;
  /** Findings this scan stored (new ones only). */
  inserted: number;
  /** Every finding of this scan, new or already stored (for unchanged series: what their last scan found). */
  findings: number;
  ms: number;
  /** Where the time went: reading (DuckDB query, ids, grouping by series), detection, writing new findings. */
  breakdown: { readMs: number; detectMs: number; writeMs: number };
  /** Series whose detection ran on the main thread, then on each worker started ([n]: no worker). */
  seriesByThread: number[];
  /** How many workers were started and why (e.g. none on a busy machine: see `defaultWorkers`). */
  workersWhy: string;
  /** Why a detection worker failed, if one did (its series were detected on the main thread). */
  workerErrors: string[];
}

export type RegressionStatus = 'open' | 'acknowledged' | 'resolved';

/** What a stored finding carries beyond its columns (the `details` JSON): enough to judge it without rerunning. */
export interface FindingDetails {
  detail: string;
  /** Points of the series that were examined. */
  points: number;
  findingClass: (typeof FINDING_CLASS)[DetectionKind];
  /** ~95 % interval of the change in % (null where none was estimated). */
  intervalPct: [number, number] | null;
  /** Last commit before the change and first commit at it: the change lies in (from, to]. */
  commits: { from: string | null; to: string | null };
  /** Evidence: the points compared, as times and values (at most EVIDENCE_SHOWN each side, nearest the change). */
  evidence: { before: { at: string; value: number }[]; after: { at: string; value: number }[]; beforeCount: number; afterCount: number } | null;
  /** Drift: % per measurement and per day, with the per-measurement interval. */
  slope: { pctPerPoint: number; lowPct: number; highPct: number; pctPerDay: number | null } | null;
  /** End of a drift or an environment stretch. */
  endAt: string | null;
}

const EVIDENCE_SHOWN = 10;

const iso = (ms: number): string => new Date(ms).toISOString();
const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

function detailsOf(d: Detection, points: readonly SeriesPoint[], commitAt: (i: number) => string | null): FindingDetails {
  const shown = (idx: readonly number[]): { at: string; value: number }[] => idx.map((i) => ({ at: iso(points[i]!.at), value: points[i]!.value }));
  const range = ([a, b]: [number, number]): number[] => Array.from({ length: b - a }, (_, i) => a + i);
  const compared = d.evidence === undefined ? undefined : (d.evidence.points ?? { before: range(d.evidence.before), after: range(d.evidence.after) });
  // A code change lies after the last point compared before it (of its own environment, where the series alternates),
  // or after the point that several environments' points agree on (code-change-merge.ts).
  const previous = d.changeAfter ?? (d.detector !== 'environment' && compared !== undefined ? (compared.before.at(-1) ?? d.index - 1) : d.index - 1);
  return {
    detail: d.detail,
    points: points.length,
    findingClass: FINDING_CLASS[d.kind],
    intervalPct: d.interval === undefined ? null : [d.interval[0] * 100, d.interval[1] * 100],
    commits: { from: previous >= 0 ? commitAt(previous) : null, to: commitAt(d.index) },
    evidence:
      compared === undefined
        ? null
        : { before: shown(compared.before.slice(-EVIDENCE_SHOWN)), after: shown(compared.after.slice(0, EVIDENCE_SHOWN)), beforeCount: compared.before.length, afterCount: compared.after.length },
    slope: d.slope === undefined ? null : { pctPerPoint: d.slope.perPoint * 100, lowPct: d.slope.low * 100, highPct: d.slope.high * 100, pctPerDay: d.slope.perDay === undefined ? null : d.slope.perDay * 100 },
    endAt: d.endIndex === undefined || d.endIndex >= points.length ? null : iso(points[d.endIndex]!.at),
  };
}

/** Stored digests of series last scanned with these options. */
async function unchangedSince(store: Store, scanOptions: string): Promise<Map<string, { digest: string; findings: number }>> {
  const rows = await store.all<{ series_key: string; digest: string; findings: number }>('SELECT series_key, digest, findings FROM regression_scan_state WHERE options = ?', [scanOptions]);
  return new Map(rows.map((r) => [r.series_key, { digest: r.digest, findings: r.findings }]));
}

/** Records what this scan saw of each series it detected on (one statement; the rows travel as one JSON text). */
async function saveState(store: Store, rows: { k: string; d: string; f: number }[], scanOptions: string, now: Date): Promise<void> {
  if (rows.length > 0) {
    await store.run(
      `INSERT OR REPLACE INTO regression_scan_state (series_key, digest, options, findings, scanned_at)
       SELECT r.k, r.d, ?, r.f, ?::TIMESTAMP FROM (SELECT unnest(from_json(?, '[{"k": "VARCHAR", "d": "VARCHAR", "f": "INTEGER"}]')) AS r)`,
      [scanOptions, sqlTimestamp(now), JSON.stringify(rows)],
    );
  }
}

/**
 * Scans every series measured in the last `days` and stores new findings. Cost: one pass over the rows in DuckDB
 * and in Node (see scan-read.ts) plus the detectors, O(n log n) per series.
 */
export async function scanRegressions(store: Store, options: ScanOptions = {}): Promise<ScanResult> {
  const started = performance.now();
  const days = options.days ?? 90;
  if (!(days > 0)) {
    throw new DbError(DbErrorCode.InvalidArgument, `days must be a positive number, got ${days}`);
  }
  const detectors = options.detectors ?? ['rank-changepoint'];
  const metrics = options.metrics ?? ['latency', 'throughput', 'memory'];
  const workers = options.workers;
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= MAX_WORKERS)) {
    throw new DbError(DbErrorCode.InvalidArgument, `workers must be a whole number from 0 to ${MAX_WORKERS}, got ${workers}`);
  }
  const maxPoints = options.maxPointsPerSeries ?? 500;
  if (!(Number.isInteger(maxPoints) && maxPoints >= 2)) {
    throw new DbError(DbErrorCode.InvalidArgument, `maxPointsPerSeries must be a whole number >= 2 (fewer points cannot show a change), got ${maxPoints}`);
  }
  const unknown = (given: readonly unknown[], known: readonly string[]): unknown => (given.length === 0 ? '(none)' : given.find((x) => !known.includes(x as string)));
  const badDetector = unknown(detectors, SCAN_DETECTORS);
  if (badDetector !== undefined) {
    throw new DbError(DbErrorCode.InvalidArgument, `detectors must be one or more of ${SCAN_DETECTORS.join(', ')}, got ${JSON.stringify(badDetector)}`);
  }
  const badMetric = unknown(metrics, SCAN_METRICS);
  if (badMetric !== undefined) {
    throw new DbError(DbErrorCode.InvalidArgument, `metrics must be one or more of ${SCAN_METRICS.join(', ')}, got ${JSON.stringify(badMetric)}`);
  }
  const scanOptions = JSON.stringify({ maxPoints, detectors, metrics });
  const state = options.incremental === true ? await unchangedSince(store, scanOptions) : new Map<string, { digest: string; findings: number }>();
  // Workers are started once the names query says how many points come, so they start while the rows are read.
  let plan = { workers: 0, why: 'none: nothing read' };
  let pool: Workers | undefined;
  let data: ScanData;
  let existing: Set<string>;
  try {
    data = await readScanData(store, days, maxPoints, {
      shared: workers !== 0,
      ...(options.incremental === true ? { wanted: (meta: SeriesMeta, digest: string) => state.get(meta.key)?.digest !== digest } : {}),
      onPoints: (points) => {
        plan = workers === undefined ? defaultWorkers(points, options.detectOffMainThread === true) : { workers, why: `${workers} (asked for)` };
        pool = startWorkers(plan.workers);
      },
    });
    existing = new Set(
      (await store.columns("SELECT concat_ws('|', series_key, metric, detector, kind, epoch_ms(change_at)) AS k FROM performance_regression")).k as string[],
    );
  } catch (error) {
    if (pool !== undefined) {
      await stopWorkers(pool);
    }
    throw error;
  }
  const readEnd = performance.now();
  let writeMs = 0;
  const detected = await detectAcrossThreads(data, metrics, detectors, pool ?? 0, options.detectOffMainThread !== true);
  const writer = await store.writer('performance_regression', { idColumn: 'id' });
  let inserted = 0;
  let findings = 0;
  const findingsBySeries: number[] = [];
  const now = new Date();
  data.series.forEach((series, s) => {
    const m = series.meta;
    findingsBySeries.push(detected.found[s]!.reduce((a, f) => a + f.length, 0));
    metrics.forEach((metric, mi) => {
      const found = detected.found[s]![mi]!;
      if (found.length === 0) {
        return;
      }
      const { idx, points } = metricPoints(data.columns, series, metric, data.environments)!;
      const pointCommit = (j: number): string | null => data.commits[series.commit[idx[j]!]!] ?? null;
      for (const d of found) {
        findings++;
        const at = points[d.index]!.at;
        const id = [m.key, metric, d.detector, d.kind, at].join('|');
        if (existing.has(id)) {
          continue;
        }
        existing.add(id);
        inserted++;
        const pushAt = performance.now();
        writer.push({
          detected_at: now,
          series_key: m.key,
          source: m.source,
          model_name: m.model_name,
          browser: m.browser,
          requested_backend: m.requested_backend,
          batch_size: m.batch_size,
          metric,
          detector: d.detector,
          kind: d.kind,
          severity: d.severity,
          baseline_value: finiteOrNull(d.baseline),
          current_value: finiteOrNull(d.current),
          change_pct: finiteOrNull(d.changePct * 100),
          p_value: d.pValue ?? null,
          change_at: new Date(at),
          git_commit: pointCommit(d.index),
          status: 'open',
          details: detailsOf(d, points, pointCommit),
        });
        writeMs += performance.now() - pushAt;
      }
    });
  });
  const closeAt = performance.now();
  writer.close();
  if (data.digests !== undefined) {
    await saveState(store, data.series.map((x, s) => ({ k: x.meta.key, d: data.digests![s]!, f: findingsBySeries[s]! })), scanOptions, now);
  }
  for (const key of data.skipped) {
    findings += state.get(key)!.findings;
  }
  const end = performance.now();
  writeMs += end - closeAt;
  const breakdown = { readMs: readEnd - started, detectMs: closeAt - readEnd - writeMs, writeMs };
  return { series: data.series.length + data.skipped.length, unchanged: data.skipped.length, points: data.points, inserted, findings, ms: end - started, breakdown, seriesByThread: detected.seriesByThread, workersWhy: plan.why, workerErrors: detected.workerErrors };
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
