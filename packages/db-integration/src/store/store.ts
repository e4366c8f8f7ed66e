/**
 * The benchmark database: one DuckDB file (or `:memory:`), migrated to the latest schema on open, with id
 * allocation, read helpers that return plain JS rows, transactions, and batched appender writers.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';

import { DbError, DbErrorCode } from '../errors';
import { LATEST_SCHEMA_VERSION, type Migration, MIGRATIONS } from './migrations';
import { TableWriter, type WriterOptions } from './table-writer';

/** `BENCHMARK_DB_PATH`, else `./benchmark_db.duckdb`. */
export function defaultDbPath(): string {
  return process.env.BENCHMARK_DB_PATH ?? './benchmark_db.duckdb';
}

export interface StoreOptions {
  /** A file path, or `:memory:`. @default BENCHMARK_DB_PATH or ./benchmark_db.duckdb */
  path?: string;
  /** Open without writing: no migrations are applied; a file older than the code is refused. @default false */
  readOnly?: boolean;
  /** Apply migrations only up to this version (tests of in-place upgrades). @default the latest */
  targetVersion?: number;
  /**
   * DuckDB settings for this instance, e.g. `{ enable_external_access: 'false', lock_configuration: 'true' }` for a
   * server that must never touch other files. @default {}
   */
  config?: Record<string, string>;
}

export type Row = Record<string, unknown>;
export type Param = string | number | boolean | bigint | null;
/** A scalar read back from DuckDB (BIGINT converted to number). */
export type Cell = string | number | boolean | Date | null;

export class Store {
  private closed = false;
  private readonly idCounters = new Map<string, number>();
  private readonly writers: TableWriter[] = [];
  /** A table's id counter lives in its open writer, if any (one counter per table). */
  private readonly idWriters = new Map<string, TableWriter>();
  private writeConnection: DuckDBConnection | undefined;

  private constructor(
    /** Absolute path of the file, or `:memory:`. */
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private version: number,
  ) {}

  /** Opens (creating when absent) and migrates. @throws DbError E_DB_OPEN, E_SCHEMA_TOO_NEW, E_DB_MIGRATION */
  static async open(options: StoreOptions = {}): Promise<Store> {
    const raw = options.path ?? defaultDbPath();
    const path = raw === ':memory:' ? raw : resolve(raw);
    const target = options.targetVersion ?? LATEST_SCHEMA_VERSION;
    if (!Number.isInteger(target) || target < 0 || target > LATEST_SCHEMA_VERSION) {
      throw new DbError(DbErrorCode.InvalidArgument, `targetVersion must be an integer in 0..${LATEST_SCHEMA_VERSION}, got ${target}`);
    }
    let instance: DuckDBInstance;
    try {
      if (path !== ':memory:' && options.readOnly !== true) {
        mkdirSync(dirname(path), { recursive: true });
      }
      const config = { ...options.config, ...(options.readOnly === true ? { access_mode: 'READ_ONLY' } : {}) };
      instance = await DuckDBInstance.create(path, config);
    } catch (error) {
      throw new DbError(DbErrorCode.Open, `cannot open benchmark database ${path}: ${(error as Error).message}`, { cause: error });
    }
    const connection = await instance.connect();
    const store = new Store(path, instance, connection, 0);
    try {
      await store.migrate(target, options.readOnly === true);
    } catch (error) {
      store.close();
      throw error;
    }
    return store;
  }

  /** Schema version of the open file. */
  get schemaVersion(): number {
    return this.version;
  }

  /** Rows as plain objects: BIGINT as number, TIMESTAMP as Date, JSON as its text. */
  async all<T extends Row = Row>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    const reader = await this.exec(this.live(), sql, params);
    return reader.getRowObjectsJS().map((row) => plain(row) as T);
  }

  /** Columns as arrays (faster than row objects for large scans) of numbers, strings, booleans and nulls; BIGINT as number. Select timestamps as epoch_ms. */
  async columns(sql: string, params: readonly Param[] = []): Promise<Record<string, Cell[]>> {
    const reader = await this.exec(this.live(), sql, params);
    const cols = reader.getColumnsObject() as Record<string, Cell[]>;
    for (const values of Object.values(cols)) {
      for (let i = 0; i < values.length; i++) {
        if (typeof values[i] === 'bigint') {
          values[i] = Number(values[i]);
        }
      }
    }
    return cols;
  }

  async one<T extends Row = Row>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  /** Runs a statement (or several separated by `;` when there are no params). */
  async run(sql: string, params: readonly Param[] = []): Promise<void> {
    await this.exec(this.live(), sql, params);
  }

  /**
   * Runs `fn` on a connection of its own, opened for this call and closed after it, so that interrupting it or
   * leaving a transaction open cannot touch the store's other work (`readOnlyQuery` runs caller SQL this way).
   */
  async withConnection<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    this.live();
    const connection = await this.instance.connect();
    try {
      return await fn(connection);
    } finally {
      connection.closeSync();
    }
  }

  /**
   * Turns off, for the rest of this instance's life, everything caller SQL could use to leave the database:
   * file and network access (`enable_external_access = false`: no file reads, COPY, ATTACH of files, extension
   * installs) and any later SET (`lock_configuration`). DuckDB cannot turn either back on, which is the point; an
   * instance that must still write backups or exports elsewhere is a different process (the CLI opens its own).
   */
  async lockDown(): Promise<void> {
    const row = await this.one<{ ext: boolean; locked: boolean }>(
      "SELECT current_setting('enable_external_access') AS ext, current_setting('lock_configuration') AS locked",
    );
    if (row?.ext === true) {
      await this.run('SET GLOBAL enable_external_access = false');
    }
    if (row?.locked !== true) {
      await this.run('SET GLOBAL lock_configuration = true');
    }
  }

  /** Runs `fn` in one transaction: all its statements commit together or none does. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    try {
      const result = await fn();
      await this.run('COMMIT');
      return result;
    } catch (error) {
      await this.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Reserves `count` consecutive ids of `table.column` and returns the first. Ids are allocated here rather than
   * by sequences because appenders cannot evaluate `nextval` defaults; one process writes a file at a time
   * (DuckDB's file lock), so a counter seeded from max(id) is safe.
   */
  async nextId(table: string, column: string, count = 1): Promise<number> {
    const key = `${table}.${column}`;
    const writer = this.idWriters.get(key);
    if (writer !== undefined) {
      return writer.reserve(count);
    }
    let next = this.idCounters.get(key);
    if (next === undefined) {
      const row = await this.one<{ m: number }>(`SELECT coalesce(max(${column}), 0) AS m FROM ${table}`);
      next = (row?.m ?? 0) + 1;
    }
    this.idCounters.set(key, next + count);
    return next;
  }

  /**
   * A batched writer for `table` (appender-based: no INSERT per row). Rows become visible at each flush: on
   * `batchRows`, on `flushAll()` (the recorder calls it on an interval) and on `close()`.
   */
  async writer(table: string, options: WriterOptions): Promise<TableWriter> {
    this.live();
    this.writeConnection ??= await this.instance.connect();
    const columns = await this.all<{ column_name: string; column_type: string }>(`DESCRIBE ${table}`);
    const key = `${table}.${options.idColumn}`;
    const previous = this.idWriters.get(key);
    const first = previous?.nextId ?? (await this.nextId(table, options.idColumn, 0));
    const appender = await this.writeConnection.createAppender(table);
    const writer = new TableWriter(table, columns.map((c) => ({ name: c.column_name, type: c.column_type })), appender, options, first);
    this.writers.push(writer);
    this.idWriters.set(key, writer);
    return writer;
  }

  /** Flushes every writer; returns the rows made durable. */
  flushAll(): number {
    return this.writers.reduce((n, w) => n + w.flush(), 0);
  }

  /** Flushes writers and closes the file; a WAL left by a crash is replayed by the next open. Safe to call twice. */
  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const w of this.writers.splice(0)) {
      w.close();
    }
    this.writeConnection?.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }

  // ---- internals ----

  private live(): DuckDBConnection {
    if (this.closed) {
      throw new DbError(DbErrorCode.Closed, `benchmark database ${this.path} is closed`);
    }
    return this.connection;
  }

  private async exec(connection: DuckDBConnection, sql: string, params: readonly Param[]) {
    try {
      return await connection.runAndReadAll(sql, params.length === 0 ? undefined : (params as DuckDBValue[]));
    } catch (error) {
      throw new DbError(DbErrorCode.Query, `${(error as Error).message}\n  in: ${sql.trim().slice(0, 300)}`, { cause: error });
    }
  }

  private async migrate(target: number, readOnly: boolean): Promise<void> {
    const tables = await this.all<{ n: number }>(
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'schema_version' AND table_schema = 'main'",
    );
    if ((tables[0]?.n ?? 0) === 0) {
      if (readOnly) {
        throw new DbError(DbErrorCode.Open, `${this.path} is not a browser-pool benchmark database (no schema_version table)`);
      }
      await this.run('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)');
    }
    const row = await this.one<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
    this.version = row?.v ?? 0;
    if (this.version > LATEST_SCHEMA_VERSION) {
      throw new DbError(
        DbErrorCode.SchemaTooNew,
        `${this.path} has schema version ${this.version}, but this browser-pool knows versions up to ${LATEST_SCHEMA_VERSION}; ` +
          'upgrade browser-pool, or open a different file (nothing was changed)',
      );
    }
    const pending = MIGRATIONS.filter((m) => m.version > this.version && m.version <= target);
    if (pending.length > 0 && readOnly) {
      throw new DbError(DbErrorCode.Open, `${this.path} has schema version ${this.version} (latest ${LATEST_SCHEMA_VERSION}); open it once read-write to upgrade`);
    }
    for (const migration of pending) {
      await this.apply(migration);
    }
  }

  private async apply(migration: Migration): Promise<void> {
    try {
      await this.transaction(async () => {
        await this.run(migration.sql);
        await this.run('INSERT INTO schema_version VALUES (?, ?, ?::TIMESTAMP)', [migration.version, migration.name, sqlTimestamp(new Date())]);
      });
      this.version = migration.version;
    } catch (error) {
      throw new DbError(
        DbErrorCode.Migration,
        `migration ${migration.version} (${migration.name}) failed on ${this.path}; the file stays at version ${this.version}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

/** A Date as a UTC TIMESTAMP literal for a bound parameter (`?::TIMESTAMP`). */
export function sqlTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

function plain(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === 'bigint' ? Number(v) : v;
  }
  return out;
}
