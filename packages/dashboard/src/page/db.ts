/**
 * duckdb-wasm in this page: started from the bundled worker and .wasm (vite copies them into assets/, so nothing
 * comes from a CDN), extension auto-install/auto-load turned off (a query that needs an extension fails here
 * instead of fetching one from the internet), then the stored tables are copied out of the snapshot's DuckDB file
 * (ATTACHed read-only from a registered buffer) and the derived ones loaded from their CSVs with the types the
 * manifest gives, and the database's views are recreated over them.
 */
import { AsyncDuckDB, type AsyncDuckDBConnection, ConsoleLogger, LogLevel } from '@duckdb/duckdb-wasm';
import ehWorker from '@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js?url';
import ehWasm from '@duckdb/duckdb-wasm/dist/duckdb-eh.wasm?url';

/** The manifest db-integration's `writeSnapshot` writes (only what the page reads). */
export interface Manifest {
  format: string;
  formatVersion: number;
  createdAt: string;
  schemaVersion: number;
  tables: { name: string; file: string; format: 'duckdb' | 'csv'; rows: number; columns: { name: string; type: string }[] }[];
  views: { name: string; sql: string }[];
}

export type Row = Record<string, unknown>;

export interface Db {
  manifest: Manifest;
  /** Rows as plain objects; BIGINT as number; TIMESTAMP as epoch milliseconds. */
  all(sql: string): Promise<Row[]>;
  /** Runs caller SQL inside a transaction that is always rolled back, so the copy stays as loaded. */
  readOnly(sql: string): Promise<Row[]>;
}

const ident = (s: string): string => `"${s.replaceAll('"', '""')}"`;
const str = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * Runs one query. Each is a User Timing measure named `sql` with the statement as its detail (`npm run bench --
 * --suite dashboard` reads them and runs the same statements in Node's DuckDB).
 */
async function rows(conn: AsyncDuckDBConnection, sql: string): Promise<Row[]> {
  const start = performance.now();
  const result = await conn.query(sql);
  const out = result.toArray().map((r: { toJSON(): Row }) => r.toJSON());
  performance.measure('sql', { start, detail: sql });
  return out;
}

/** Loads the snapshot at `base` (a folder URL holding manifest.json). */
export async function openSnapshot(base: URL): Promise<Db> {
  const started = performance.now();
  const response = await fetch(new URL('manifest.json', base));
  if (!response.ok) {
    throw new Error(`E_DASHBOARD_NO_SNAPSHOT: ${response.status} for ${new URL('manifest.json', base).href}`);
  }
  const manifest = (await response.json()) as Manifest;
  if (manifest.format !== 'browser-pool-snapshot' || manifest.formatVersion !== 2) {
    throw new Error(`E_DASHBOARD_SNAPSHOT_FORMAT: this page reads snapshot format 2, got ${String(manifest.format)} ${String(manifest.formatVersion)}; write the snapshot again with this version's \`browser-pool dashboard\``);
  }
  const worker = new Worker(ehWorker);
  const db = new AsyncDuckDB(new ConsoleLogger(LogLevel.WARNING), worker);
  await db.instantiate(ehWasm);
  await db.open({ query: { castBigIntToDouble: true, castDecimalToDouble: true } });
  const conn = await db.connect();
  await conn.query('SET autoinstall_known_extensions = false');
  await conn.query('SET autoload_known_extensions = false');
  const files = [...new Set(manifest.tables.map((t) => t.file))];
  await Promise.all(files.map(async (file) => {
    const got = await fetch(new URL(file, base));
    if (!got.ok) {
      throw new Error(`E_DASHBOARD_NO_SNAPSHOT: ${got.status} for ${file}`);
    }
    await db.registerFileBuffer(file, new Uint8Array(await got.arrayBuffer()));
  }));
  const databases = files.filter((file) => manifest.tables.some((t) => t.file === file && t.format === 'duckdb'));
  for (const [i, file] of databases.entries()) {
    await conn.query(`ATTACH ${str(file)} AS snapshot_${i} (READ_ONLY)`);
  }
  // copied into the page's own database: the SQL box's writes then roll back like any other, and queries read memory
  for (const t of manifest.tables.filter((x) => x.format === 'duckdb')) {
    await conn.query(`CREATE TABLE ${ident(t.name)} AS SELECT * FROM snapshot_${databases.indexOf(t.file)}.${ident(t.name)}`);
  }
  for (const [i] of databases.entries()) {
    await conn.query(`DETACH snapshot_${i}`);
  }
  for (const t of manifest.tables.filter((x) => x.format === 'csv')) {
    // Dialect spelled out: with auto_detect off, duckdb-wasm still guessed an empty escape and broke on "" inside
    // a quoted value; these are exactly what writeSnapshot writes.
    const columns = t.columns.map((c) => `${str(c.name)}: ${str(c.type)}`).join(', ');
    await conn.query(`CREATE TABLE ${ident(t.name)} AS SELECT * FROM read_csv(${str(t.file)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {${columns}})`);
  }
  for (const file of files) {
    await db.dropFile(file);
  }
  for (const v of manifest.views) {
    await conn.query(v.sql);
  }
  performance.measure('snapshot-load', { start: started });
  return {
    manifest,
    all: (sql) => rows(conn, sql),
    readOnly: async (sql) => {
      await conn.query('BEGIN TRANSACTION');
      try {
        return await rows(conn, sql);
      } finally {
        await conn.query('ROLLBACK');
      }
    },
  };
}
