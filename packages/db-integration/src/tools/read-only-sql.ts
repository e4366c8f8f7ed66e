/**
 * The read-only gate of `/query` and `browser-pool query`. DuckDB itself decides what the text is, never a regex:
 * its parser serializes the statement (`json_serialize_sql` serializes SELECT statements only, so anything else
 * is refused before it is prepared), the syntax tree is searched for table functions that write or read files,
 * and the statement DuckDB extracts must be exactly one whose prepared type is SELECT (DESCRIBE, SHOW, SUMMARIZE,
 * FROM, VALUES, TABLE and WITH all prepare as SELECT), or an EXPLAIN of such a SELECT. The caller runs the
 * returned prepared statement itself (never the text again), inside a READ ONLY transaction on an instance whose
 * external access is off: three independent fences, each of which stops a write on its own.
 */
import { type DuckDBConnection, type DuckDBPreparedStatement, StatementType } from '@duckdb/node-api';

import { DbError, DbErrorCode } from '../errors';

/** Longest statement accepted, in characters. */
export const MAX_SQL_CHARS = 100_000;

/**
 * Table and scalar functions a SELECT may call that write (checkpoints), run SQL from a string (which the tree
 * search could not see into) or read files and URLs. External access is also off on every instance that runs
 * caller SQL; this list keeps even the database's own files (its WAL, which DuckDB always permits) out of reach.
 */
const FORBIDDEN_FUNCTION = /^(checkpoint|force_checkpoint|query|query_table|glob|sniff_csv|read_\w+|\w+_scan|parquet_\w+|iceberg_\w+|delta_\w+|getenv|load_extension)$/;

const REFUSED = 'send one SELECT statement (or WITH, FROM, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE, or EXPLAIN of a SELECT)';

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

/** Every `function_name` and every base-table name in the serialized tree (iterative: the tree can be deep). */
function namesIn(tree: unknown): { functions: string[]; tables: string[] } {
  const functions: string[] = [];
  const tables: string[] = [];
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...(node as unknown[]));
    } else if (node !== null && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o.function_name === 'string') {
        functions.push(o.function_name.toLowerCase());
      }
      if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') {
        tables.push(o.table_name);
      }
      stack.push(...Object.values(o));
    }
  }
  return { functions, tables };
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
  const { functions, tables } = namesIn(tree.statements);
  const bad = functions.find((f) => FORBIDDEN_FUNCTION.test(f));
  if (bad !== undefined) {
    throw refuse(`${bad}() writes, runs SQL from a string or reads files, and is not allowed in a read-only query`);
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
