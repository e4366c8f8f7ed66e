/**
 * A snapshot of the benchmark database for the dashboard: every stored table copied into one DuckDB database file
 * (`tables.duckdb`, written with storage version v1.2.0, which duckdb-wasm 1.32's DuckDB v1.4.3 reads: the page
 * ATTACHes it read-only, no extension and no parsing), the report's derived tables as small CSVs, and a manifest with
 * column types, view definitions and each table's file. Not Parquet: duckdb-wasm's Parquet reader is an extension it
 * would download, and the browser has no network here. Not CSV for the stored tables: at 1M rows the DuckDB file is
 * 6.5x smaller and its load in duckdb-wasm about 2.5x faster (README, Dashboard).
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { detectLimits, explainRecommendation, loadLimitRows, type ResultLimit } from '../analysis/limits';
import { type FlagImpact, flagImpact, loadImpactRows } from '../analysis/optimization';
import { loadCandidates, recommend } from '../analysis/recommend';
import { DbError, DbErrorCode } from '../errors';
import type { Store } from '../store/store';

/** Bumped when the manifest's shape changes; the page refuses a manifest it does not know. */
export const SNAPSHOT_FORMAT_VERSION = 2;

/** The database file the stored tables are copied into, and the storage version it is written with. */
export const SNAPSHOT_DATABASE = 'tables.duckdb';
const SNAPSHOT_STORAGE_VERSION = 'v1.2.0';

export interface SnapshotColumn {
  name: string;
  /** DuckDB type as the browser should declare it (JSON becomes VARCHAR: duckdb-wasm's JSON type is an extension). */
  type: string;
}

export interface SnapshotTable {
  name: string;
  /** Path relative to the manifest. */
  file: string;
  /** `duckdb`: a table of that name in the database file `file`; `csv`: a CSV with a header, read with `columns`' types. */
  format: 'duckdb' | 'csv';
  rows: number;
  columns: SnapshotColumn[];
}

export interface SnapshotManifest {
  format: 'browser-pool-snapshot';
  formatVersion: number;
  createdAt: string;
  schemaVersion: number;
  /** Tables in load order; `recommendations` is derived (the report's analysis), the rest are copies. */
  tables: SnapshotTable[];
  /** `CREATE VIEW` statements, people-facing views first. */
  views: { name: string; sql: string }[];
}

/** Views an engineer should reach for first: `performance_results` holds ids, `measurements` holds names. */
const PEOPLE_VIEWS = ['measurements', 'latest_performance', 'compatibility_matrix', 'web_platform_performance'];

const ident = (s: string): string => `"${s.replaceAll('"', '""')}"`;
const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** Browser-side type: extension types fall back to VARCHAR so no extension is ever needed to load a column. */
function portableType(type: string): string {
  return type === 'JSON' ? 'VARCHAR' : type;
}

/**
 * Writes the snapshot into `dir` (created; replaced when it holds an older snapshot). The copy runs in one
 * transaction on its own connection, so every table is read at the same point even while a recorder writes.
 */
export async function writeSnapshot(store: Store, dir: string): Promise<SnapshotManifest> {
  const target = resolve(dir);
  if (existsSync(target) && !existsSync(join(target, 'manifest.json'))) {
    throw new DbError(DbErrorCode.InvalidArgument, `${target} exists and is not a snapshot folder; pick an empty or new folder`);
  }
  const staging = `${target}.writing`;
  rmSync(staging, { recursive: true, force: true });
  await mkdir(join(staging, 'tables'), { recursive: true });
  try {
    store.flushAll();
    // the report's analyses with the report's defaults (last 30 days), so the page shows the numbers `report` prints
    const recommendations = recommend(await loadCandidates(store));
    const limits = detectLimits(await loadLimitRows(store));
    const impact = flagImpact(await loadImpactRows(store));
    const manifest = await store.withConnection(async (connection) => {
      const q = async <T>(sql: string): Promise<T[]> => (await connection.runAndReadAll(sql)).getRowObjectsJS() as T[];
      // attached databases are shared by the instance's connections: a name no other snapshot uses at the same time
      const snap = ident(`snapshot_${process.pid}_${Date.now()}_${Math.random().toString(36).slice(2)}`);
      // READ_WRITE spelled out: a store opened read-only (the dashboard command's) attaches read-only by default
      await connection.run(`ATTACH ${sqlString(join(staging, SNAPSHOT_DATABASE))} AS ${snap} (STORAGE_VERSION ${sqlString(SNAPSHOT_STORAGE_VERSION)}, READ_WRITE)`);
      await connection.run('BEGIN TRANSACTION');
      try {
        const columns = await q<{ table_name: string; column_name: string; data_type: string }>(
          `SELECT table_name, column_name, data_type FROM duckdb_columns()
           WHERE database_name = current_database() AND schema_name = 'main'
             AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main')
           ORDER BY table_name, column_index`,
        );
        const tables: SnapshotTable[] = [];
        for (const name of [...new Set(columns.map((c) => c.table_name))]) {
          const cols = columns.filter((c) => c.table_name === name).map((c) => ({ name: c.column_name, type: portableType(c.data_type) }));
          await connection.run(`CREATE TABLE ${snap}.${ident(name)} AS SELECT ${cols.map((c) => `${ident(c.name)}::${c.type} AS ${ident(c.name)}`).join(', ')} FROM ${ident(name)}`);
          const counted = await q<{ n: bigint }>(`SELECT count(*) AS n FROM ${ident(name)}`);
          tables.push({ name, file: SNAPSHOT_DATABASE, format: 'duckdb', rows: Number(counted[0]?.n ?? 0), columns: cols });
        }
        const views = await q<{ view_name: string; sql: string }>(
          "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND database_name = current_database() AND schema_name = 'main'",
        );
        const rank = (v: string): number => (PEOPLE_VIEWS.includes(v) ? PEOPLE_VIEWS.indexOf(v) : PEOPLE_VIEWS.length);
        return {
          format: 'browser-pool-snapshot' as const,
          formatVersion: SNAPSHOT_FORMAT_VERSION,
          createdAt: new Date().toISOString(),
          schemaVersion: store.schemaVersion,
          tables,
          views: views.sort((a, b) => rank(a.view_name) - rank(b.view_name) || a.view_name.localeCompare(b.view_name)).map((x) => ({ name: x.view_name, sql: x.sql })),
        };
      } finally {
        await connection.run('COMMIT');
        await connection.run(`DETACH ${snap}`);
      }
    });
    manifest.tables.push(await writeRecommendations(staging, recommendations, limits), await writeLimits(staging, limits), await writeImpact(staging, impact));
    await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    return manifest;
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (error instanceof DbError) {
      throw error;
    }
    throw new DbError(DbErrorCode.Snapshot, `snapshot to ${target} failed (nothing written): ${(error as Error).message}`, { cause: error });
  }
}

const csvCell = (v: string | number | boolean | undefined): string => {
  if (v === undefined) {
    return '';
  }
  const s = String(v);
  return /[",\n\r]/.test(s) || s === '' ? `"${s.replaceAll('"', '""')}"` : s;
};

async function writeDerived(staging: string, name: string, columns: SnapshotColumn[], rows: readonly (string | number | boolean | undefined)[][]): Promise<SnapshotTable> {
  const file = `tables/${name}.csv`;
  await writeFile(join(staging, file), `${[columns.map((c) => c.name).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n')}\n`);
  return { name, file, format: 'csv', rows: rows.length, columns };
}

/** Results bound by something other than the model's work (`report recommendations` prints them beside each one). */
function writeLimits(staging: string, limits: readonly ResultLimit[]): Promise<SnapshotTable> {
  const columns: SnapshotColumn[] = [{ name: 'kind', type: 'VARCHAR' }, { name: 'browser', type: 'VARCHAR' }, { name: 'backend', type: 'VARCHAR' },
    { name: 'model_name', type: 'VARCHAR' }, { name: 'model_types', type: 'VARCHAR' }, { name: 'detail', type: 'VARCHAR' }];
  return writeDerived(staging, 'result_limits', columns, limits.map((l) => [l.kind, l.browser, l.backend, l.model, l.modelTypes.join(','), l.detail]));
}

/** `report optimization`'s rows: each flag's on/off ratio of medians with its 95 % bootstrap interval (seeded: the same numbers). */
function writeImpact(staging: string, impact: readonly FlagImpact[]): Promise<SnapshotTable> {
  const columns: SnapshotColumn[] = [
    { name: 'flag', type: 'VARCHAR' }, { name: 'other_flags', type: 'VARCHAR' }, { name: 'metric', type: 'VARCHAR' }, { name: 'model_name', type: 'VARCHAR' },
    { name: 'browser', type: 'VARCHAR' }, { name: 'backend', type: 'VARCHAR' }, { name: 'batch_size', type: 'INTEGER' }, { name: 'on_value', type: 'DOUBLE' },
    { name: 'off_value', type: 'DOUBLE' }, { name: 'ratio', type: 'DOUBLE' }, { name: 'ratio_low', type: 'DOUBLE' }, { name: 'ratio_high', type: 'DOUBLE' },
    { name: 'runs_on', type: 'INTEGER' }, { name: 'runs_off', type: 'INTEGER' }, { name: 'verdict', type: 'VARCHAR' }, { name: 'note', type: 'VARCHAR' },
  ];
  return writeDerived(staging, 'optimization_effects', columns, impact.map((i) => [i.name, i.otherFlags, i.metric, i.model, i.browser, i.backend, i.batchSize,
    i.on, i.off, i.ratio, i.interval[0], i.interval[1], i.nOn, i.nOff, i.verdict, i.note]));
}

/** The report's recommendations (same analysis, same defaults), as a table the page can query like any other. */
function writeRecommendations(staging: string, recs: ReturnType<typeof recommend>, limits: readonly ResultLimit[]): Promise<SnapshotTable> {
  const columns: SnapshotColumn[] = [
    { name: 'model_type', type: 'VARCHAR' }, { name: 'model_name', type: 'VARCHAR' }, { name: 'browser', type: 'VARCHAR' },
    { name: 'backend', type: 'VARCHAR' }, { name: 'p50_latency_ms', type: 'DOUBLE' }, { name: 'throughput', type: 'DOUBLE' },
    { name: 'samples', type: 'BIGINT' }, { name: 'confidence', type: 'VARCHAR' }, { name: 'is_real_hardware', type: 'BOOLEAN' },
    { name: 'reason', type: 'VARCHAR' }, { name: 'bound_by', type: 'VARCHAR' },
  ];
  return writeDerived(staging, 'recommendations', columns, recs.map((r) => [r.modelType, r.model, r.browser, r.backend, r.p50LatencyMs, r.throughput, r.samples,
    r.confidence, r.isRealHardware, r.reason, explainRecommendation(r, limits).join('\n')]));
}
