/**
 * The read-only gate of `/query` and `browser-pool query`. DuckDB itself decides what the text is, never a regex:
 * its parser serializes the statement (`json_serialize_sql` serializes SELECT statements only, so anything else is
 * refused before it is prepared), table functions in the syntax tree must be on an allowlist (generators, catalog
 * readers), scalar functions with an effect are refused, and the statement DuckDB extracts must be exactly one
 * whose prepared type is SELECT (DESCRIBE, SHOW, SUMMARIZE, FROM, VALUES, TABLE and WITH all prepare as SELECT), or
 * an EXPLAIN of such a SELECT. The caller runs the returned prepared statement itself (never the text again).
 * Three fences, each for what the others could miss: this gate (what the statement is and calls), the READ ONLY
 * transaction the caller runs it in (no write to the database), and the instance's settings (no file or network
 * access, no SET).
 */
import { type DuckDBConnection, type DuckDBPreparedStatement, StatementType } from '@duckdb/node-api';

import { DbError, DbErrorCode } from '../errors';

/** Longest statement accepted, in characters. */
export const MAX_SQL_CHARS = 100_000;

/**
 * Table functions (FROM position) a reading query may use: generators and catalog readers. Everything else is
 * refused, because DuckDB's table functions include ones that write or change state even inside a SELECT under a
 * READ ONLY transaction and a locked configuration (checkpoint(), copy_database(), enable_logging(),
 * truncate_duckdb_logs(), json_execute_serialized_sql(), query()), and ones that read files.
 */
const ALLOWED_TABLE_FUNCTION = new Set([
  'range', 'generate_series', 'unnest', 'repeat', 'json_each', 'json_tree', 'test_all_types', 'summary', 'histogram', 'histogram_values',
  'duckdb_columns', 'duckdb_constraints', 'duckdb_databases', 'duckdb_dependencies', 'duckdb_extensions', 'duckdb_functions', 'duckdb_indexes',
  'duckdb_keywords', 'duckdb_memory', 'duckdb_optimizers', 'duckdb_schemas', 'duckdb_sequences', 'duckdb_settings', 'duckdb_tables', 'duckdb_types',
  'duckdb_views', 'pragma_table_info', 'pragma_database_size', 'pragma_version', 'pragma_show', 'pragma_collations', 'pragma_platform',
  'pragma_storage_info', 'table_info', 'storage_info', 'show', 'show_tables', 'show_tables_expanded', 'show_databases', 'database_size',
  'version', 'platform', 'functions', 'icu_calendar_names', 'pg_timezone_names',
]);

/** Scalar functions with an effect (a log write, reading the environment) or that run SQL from a string. */
const FORBIDDEN_SCALAR = new Set(['write_log', 'getenv', 'query', 'json_execute_serialized_sql', 'load_extension']);

/**
 * The statements the gate lets through, in words: the one source for the refusal message, the REST schema's
 * description, the 400 body's `expected`, and the README (test/query-hostile.test.ts checks the README quotes it).
 */
export const ALLOWED_STATEMENTS = 'one SELECT statement (or WITH, FROM, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE, or EXPLAIN of a SELECT)';

const REFUSED = `send ${ALLOWED_STATEMENTS}`;

function refuse(problem: string): DbError {
  return new DbError(DbErrorCode.ReadOnlyViolation, `${problem}; ${REFUSED}`);
}

/**
 * Checks the text before any database work: a non-empty string, no NUL (C strings end there, so DuckDB would see
 * less than the caller sent), at most `MAX_SQL_CHARS`.
 * @returns the text, trimmed
 */
export function assertSqlText(sql: unknown): string {
  if (typeof sql !== 'string' || sql.trim() === '') {
    throw refuse('sql must be a non-empty string');
  }
  if (sql.includes('\0')) {
    throw refuse('sql contains a NUL character');
  }
  if (sql.length > MAX_SQL_CHARS) {
    throw refuse(`sql is ${sql.length} characters, more than ${MAX_SQL_CHARS}`);
  }
  return sql.trim();
}

interface SerializedSql {
  error: boolean;
  error_type?: string;
  error_message?: string;
  statements?: unknown[];
}

/** Every table function, every other function and every base-table name in the serialized tree (iterative: the tree can be deep). */
function namesIn(tree: unknown): { tableFunctions: string[]; functions: string[]; tables: string[] } {
  const tableFunctions: string[] = [];
  const functions: string[] = [];
  const tables: string[] = [];
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...(node as unknown[]));
    } else if (node !== null && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      const fn = o.function as Record<string, unknown> | undefined;
      if (o.type === 'TABLE_FUNCTION' && typeof fn?.function_name === 'string') {
        tableFunctions.push(fn.function_name.toLowerCase());
      } else if (typeof o.function_name === 'string') {
        functions.push(o.function_name.toLowerCase());
      }
      if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') {
        tables.push(o.table_name);
      }
      stack.push(...Object.values(o));
    }
  }
  return { tableFunctions, functions, tables };
}

/** Parses `select` with DuckDB's parser only (nothing runs) and refuses what a reading SELECT must not contain. */
async function assertSelectTree(connection: DuckDBConnection, select: string): Promise<void> {
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql(?::VARCHAR) AS tree', [select]);
  const text = reader.getRowObjectsJS()[0]?.tree;
  const tree = JSON.parse(typeof text === 'string' ? text : '{"error":true}') as SerializedSql;
  if (tree.error) {
    if (tree.error_type === 'parser') {
      throw new DbError(DbErrorCode.Query, `the SQL does not parse: ${tree.error_message ?? 'syntax error'}`);
    }
    throw refuse(`only reading statements are allowed (DuckDB: ${tree.error_message ?? tree.error_type ?? 'not a SELECT'})`);
  }
  if (tree.statements?.length !== 1) {
    throw refuse(`exactly one statement is allowed, got ${tree.statements?.length ?? 0}; remove the ";" between statements`);
  }
  const { tableFunctions, functions, tables } = namesIn(tree.statements);
  const badTable = tableFunctions.find((f) => !ALLOWED_TABLE_FUNCTION.has(f));
  if (badTable !== undefined) {
    throw refuse(`FROM ${badTable}() is not one of the table functions a read-only query may use (generators such as range(), catalog readers such as duckdb_tables()); it may write, change settings, run SQL from a string or read files`);
  }
  const bad = functions.find((f) => FORBIDDEN_SCALAR.has(f) || /^read_|_scan$/.test(f));
  if (bad !== undefined) {
    throw refuse(`${bad}() has an effect, runs SQL from a string or reads files, and is not allowed in a read-only query`);
  }
  const path = tables.find((t) => /[/\\]|\.\w+$/.test(t));
  if (path !== undefined) {
    throw refuse(`FROM '${path}' reads a file; query the database's tables and views instead`);
  }
}

/** `EXPLAIN [ANALYZE] ` at the very start (no comment before it), and what it explains. */
const EXPLAIN = /^EXPLAIN\s+(?:ANALY[SZ]E\s+)?/i;

/**
 * Refuses `sql` unless it is one reading statement, and returns it prepared on `connection`. Call it inside a
 * READ ONLY transaction: DuckDB's statement extraction may itself run a query (PIVOT without IN looks up its
 * values), and that query must not be able to write either.
 * @throws DbError E_DB_READ_ONLY (not a single reading statement), E_DB_QUERY (does not parse or bind)
 */
export async function prepareReadOnly(connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const text = assertSqlText(sql);
  const explain = EXPLAIN.exec(text);
  // The explained statement is checked as the statement it is; EXPLAIN ANALYZE of a SELECT only runs that SELECT.
  await assertSelectTree(connection, explain === null ? text : text.slice(explain[0].length));
  let prepared: DuckDBPreparedStatement;
  try {
    const extracted = await connection.extractStatements(text);
    if (extracted.count !== 1) {
      throw refuse(`exactly one statement is allowed, DuckDB found ${extracted.count}`);
    }
    prepared = await extracted.prepare(0);
  } catch (error) {
    if (error instanceof DbError) {
      throw error;
    }
    throw new DbError(DbErrorCode.Query, (error as Error).message, { cause: error });
  }
  const expected = explain === null ? StatementType.SELECT : StatementType.EXPLAIN;
  if (prepared.statementType !== expected) {
    const got = StatementType[prepared.statementType] ?? String(prepared.statementType);
    prepared.destroySync();
    throw refuse(`DuckDB prepared a ${got} statement, not a ${StatementType[expected]}`);
  }
  return prepared;
}
