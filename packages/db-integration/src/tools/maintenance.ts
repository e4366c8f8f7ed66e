/**
 * Keeping the benchmark file healthy: integrity checks, optimize, statistics and export. Backup and restore live in
 * `backup.ts`.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { DbError, DbErrorCode } from '../errors';
import { LATEST_SCHEMA_VERSION } from '../store/migrations';
import type { Store } from '../store/store';
import { danglingKeyFindings, nonFiniteFindings } from './integrity-checks';

export interface CheckFinding {
  /**
   * `dangling_keys`: an id column names no row of the table it refers to (every reference, derived from the schema);
   * `non_finite`: NaN or ±Infinity in any floating-point column; `invalid_metrics`: negative timings, sizes or counts.
   */
  check: 'dangling_keys' | 'duplicates' | 'invalid_metrics' | 'non_finite' | 'schema';
  table: string;
  count: number;
  detail: string;
}

export interface CheckReport {
  ok: boolean;
  schemaVersion: number;
  latestSchemaVersion: number;
  findings: CheckFinding[];
}

/** [table, condition that marks a bad row, what it means]: values that are finite but impossible. */
const RANGE_CHECKS: readonly [string, string, string][] = [
  ['performance_results', 'mean_latency_ms < 0 OR p50_latency_ms < 0 OR throughput_items_per_s < 0 OR memory_peak_mb < 0 OR batch_size <= 0', 'negative latency/throughput/memory, or batch size <= 0'],
  ['time_series_performance', 'p50_ms < 0 OR throughput < 0 OR memory_mb < 0 OR samples <= 0', 'negative latency/throughput/memory, or no samples'],
  ['webnn_webgpu_performance', 'compute_ms < 0 OR end_to_end_ms < 0', 'negative timing'],
];

/** Integrity checks; `ok` is false when any finding has rows. Read-only. */
export async function checkDatabase(store: Store): Promise<CheckReport> {
  store.flushAll();
  const findings: CheckFinding[] = [];
  if (store.schemaVersion !== LATEST_SCHEMA_VERSION) {
    findings.push({ check: 'schema', table: 'schema_version', count: 1, detail: `schema ${store.schemaVersion}, latest ${LATEST_SCHEMA_VERSION}` });
  }
  findings.push(...(await danglingKeyFindings(store)), ...(await nonFiniteFindings(store)));
  for (const [table, where, detail] of RANGE_CHECKS) {
    const row = await store.one<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`);
    findings.push({ check: 'invalid_metrics', table, count: row?.n ?? 0, detail });
  }
  const dup = await store.one<{ n: number }>(
    `SELECT coalesce(sum(n - 1), 0) AS n FROM (SELECT count(*) AS n FROM performance_results
     GROUP BY model_id, hardware_id, batch_size, precision, created_at, mean_latency_ms, throughput_items_per_s HAVING count(*) > 1)`,
  );
  findings.push({ check: 'duplicates', table: 'performance_results', count: dup?.n ?? 0, detail: 'same model, hardware, batch, precision, time and values' });
  return { ok: findings.every((f) => f.count === 0), schemaVersion: store.schemaVersion, latestSchemaVersion: LATEST_SCHEMA_VERSION, findings };
}

export function fileSize(path: string): number | null {
  if (path === ':memory:') {
    return null;
  }
  try {
    return statSync(path).size + (statSync(`${path}.wal`, { throwIfNoEntry: false })?.size ?? 0);
  } catch {
    return null;
  }
}

export interface OptimizeReport {
  bytesBefore: number | null;
  bytesAfter: number | null;
  steps: string[];
}

/** Writes the WAL into the file, reclaims what deletions freed and refreshes optimizer statistics. */
export async function optimizeDatabase(store: Store): Promise<OptimizeReport> {
  store.flushAll();
  const bytesBefore = fileSize(store.path);
  const steps = ['CHECKPOINT', 'VACUUM', 'ANALYZE', 'FORCE CHECKPOINT'];
  for (const step of steps) {
    await store.run(step);
  }
  return { bytesBefore, bytesAfter: fileSize(store.path), steps };
}

export interface DatabaseStats {
  path: string;
  bytes: number | null;
  schemaVersion: number;
  tables: { table: string; rows: number }[];
  models: number;
  hardwarePlatforms: number;
  firstMeasurement: Date | null;
  lastMeasurement: Date | null;
}

export async function databaseStats(store: Store): Promise<DatabaseStats> {
  store.flushAll();
  const names = await store.all<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name");
  const tables: DatabaseStats['tables'] = [];
  for (const { table_name } of names) {
    tables.push({ table: table_name, rows: (await store.one<{ n: number }>(`SELECT count(*) AS n FROM "${table_name}"`))?.n ?? 0 });
  }
  const span = await store.one<{ first: Date | null; last: Date | null }>('SELECT min(recorded_at) AS first, max(recorded_at) AS last FROM measurements');
  const rows = (t: string) => tables.find((x) => x.table === t)?.rows ?? 0;
  return {
    path: store.path,
    bytes: fileSize(store.path),
    schemaVersion: store.schemaVersion,
    tables,
    models: rows('models'),
    hardwarePlatforms: rows('hardware_platforms'),
    firstMeasurement: span?.first ?? null,
    lastMeasurement: span?.last ?? null,
  };
}

export type ExportFormat = 'parquet' | 'csv';

/** Writes each table (default: all) to `<dir>/<table>.<format>`; returns the files and their row counts. */
export async function exportTables(store: Store, dir: string, format: ExportFormat, tables?: readonly string[]): Promise<{ file: string; rows: number }[]> {
  if (format !== 'parquet' && format !== 'csv') {
    throw new DbError(DbErrorCode.InvalidArgument, `format must be parquet or csv, got ${JSON.stringify(format)}`);
  }
  const all = (await databaseStats(store)).tables;
  const chosen = tables === undefined || tables.length === 0 ? all : tables.map((t) => all.find((x) => x.table === t) ?? unknownTable(t, all));
  mkdirSync(resolve(dir), { recursive: true });
  const out: { file: string; rows: number }[] = [];
  for (const { table, rows } of chosen) {
    const file = join(resolve(dir), `${table}.${format}`);
    const options = format === 'parquet' ? '(FORMAT parquet, COMPRESSION zstd)' : '(FORMAT csv, HEADER true)';
    await store.run(`COPY (SELECT * FROM "${table}") TO '${file.replaceAll("'", "''")}' ${options}`);
    out.push({ file, rows });
  }
  return out;
}

function unknownTable(name: string, all: readonly { table: string }[]): never {
  throw new DbError(DbErrorCode.InvalidArgument, `no table ${JSON.stringify(name)}; tables: ${all.map((t) => t.table).join(', ')}`);
}
