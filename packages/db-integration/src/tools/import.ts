/**
 * `browser-pool import`: legacy JSON result files and directories into the benchmark tables. Each file is hashed
 * (a file already imported is skipped, wherever it now lives), parsed completely before anything is written, and
 * stored in one transaction: a file is imported whole or not at all. Failures are tracked with their reason and
 * retried by the next run.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { DbError, DbErrorCode } from '../errors';
import { Dimensions } from '../store/dimensions';
import { sqlTimestamp, type Store } from '../store/store';
import { parseLegacyJson } from './legacy-json';
import { insertAvailability, insertInferences, insertPower } from './legacy-writers';
import { insertCompatibility, insertIntegration, type InsertOutcome, insertPerformance } from './results';

/**
 * What happened to one file. `tables`: rows stored per table (duplicates not counted); `metadataFields`: field names
 * that have no column and were kept in the rows' metadata column; `nonFinite`: NaN/Infinity values stored as NULL;
 * `fileFields`: top-level names that belong to no result, kept in the import run's `test_runs.metadata`.
 */
export type FileOutcome =
  | { file: string; status: 'imported'; rows: number; duplicates: number; tables: Record<string, number>; metadataFields: string[]; nonFinite: string[]; fileFields: string[] }
  | { file: string; status: 'skipped'; reason: string }
  | { file: string; status: 'failed'; reason: string; code: string };

export interface ImportSummary {
  files: FileOutcome[];
  imported: number;
  skipped: number;
  failed: number;
  rows: number;
}

export interface ImportOptions {
  /** Called after each file (progress). */
  onFile?: (outcome: FileOutcome, index: number, total: number) => void;
}

/** `.json` files under each path (directories recursively, sorted), or the path itself when it is a file. */
export async function listJsonFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const full = resolve(p);
    let info;
    try {
      info = await stat(full);
    } catch {
      throw new DbError(DbErrorCode.InvalidArgument, `no such file or directory: ${p}`);
    }
    if (info.isFile()) {
      out.push(full);
      continue;
    }
    const entries = await readdir(full, { recursive: true, withFileTypes: true });
    out.push(...entries.filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.json')).map((e) => join(e.parentPath, e.name)).sort());
  }
  return out;
}

export async function importFiles(store: Store, paths: readonly string[], options: ImportOptions = {}): Promise<ImportSummary> {
  const files = await listJsonFiles(paths);
  const summary: ImportSummary = { files: [], imported: 0, skipped: 0, failed: 0, rows: 0 };
  for (const [i, file] of files.entries()) {
    const outcome = await importFile(store, file);
    summary.files.push(outcome);
    summary[outcome.status]++;
    summary.rows += outcome.status === 'imported' ? outcome.rows : 0;
    options.onFile?.(outcome, i, files.length);
  }
  return summary;
}

async function importFile(store: Store, file: string): Promise<FileOutcome> {
  const bytes = await readFile(file);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const known = await store.one<{ status: string; file_path: string }>('SELECT status, file_path FROM migration_tracking WHERE file_hash = ?', [hash]);
  if (known?.status === 'imported') {
    return { file, status: 'skipped', reason: `already imported (same content as ${known.file_path})` };
  }
  try {
    const records = parseLegacyJson(bytes.toString('utf8'));
    const counts = await store.transaction(async () => {
      const dims = new Dimensions(store);
      const runId = await dims.startRun(`import ${file}`, 'import', { file, hash, file_fields: records.fileFields });
      const outcomes: Record<string, InsertOutcome> = {
        performance_results: await insertPerformance(store, records.performance, runId, dims),
        hardware_compatibility: await insertCompatibility(store, records.compatibility, runId, dims),
        integration_test_results: await insertIntegration(store, records.integration, runId, dims),
        power_metrics: await insertPower(store, records.power, runId, dims),
        hardware_availability_log: await insertAvailability(store, records.availability, runId),
        webnn_webgpu_performance: await insertInferences(store, records.inference, runId),
      };
      const all = Object.values(outcomes);
      const rows = all.reduce((n, o) => n + o.inserted, 0);
      await dims.endRun(runId, true);
      await track(store, file, hash, 'imported', rows, null);
      const tables = Object.fromEntries(Object.entries(outcomes).filter(([, o]) => o.inserted > 0).map(([t, o]) => [t, o.inserted]));
      return { rows, duplicates: all.reduce((n, o) => n + o.duplicates, 0), tables };
    });
    const notes = { metadataFields: records.metadataFields, nonFinite: records.nonFinite, fileFields: Object.keys(records.fileFields).sort() };
    return { file, status: 'imported', ...counts, ...notes };
  } catch (error) {
    const code = error instanceof DbError ? error.code : DbErrorCode.Query;
    const reason = (error as Error).message;
    await track(store, file, hash, 'failed', 0, reason);
    return { file, status: 'failed', reason, code };
  }
}

async function track(store: Store, file: string, hash: string, status: 'imported' | 'failed', rows: number, error: string | null): Promise<void> {
  const id = await store.nextId('migration_tracking', 'file_id');
  await store.run(
    `INSERT INTO migration_tracking (file_id, file_path, file_hash, imported_at, status, rows_imported, error) VALUES (?, ?, ?, ?::TIMESTAMP, ?, ?, ?)
     ON CONFLICT (file_hash) DO UPDATE SET file_path = excluded.file_path, imported_at = excluded.imported_at, status = excluded.status,
       rows_imported = excluded.rows_imported, error = excluded.error`,
    [id, file, hash, sqlTimestamp(new Date()), status, rows, error],
  );
}
