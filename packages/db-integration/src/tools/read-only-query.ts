/**
 * Runs one caller-supplied reading statement (`/query`, `browser-pool query`) with every fence up: a connection of
 * its own opened for this call, a READ ONLY transaction around the gate and the statement (rolled back after), the
 * gate of read-only-sql.ts, and caps on rows, answer bytes and time. Rows are converted chunk by chunk and row by
 * row, so an answer over the byte cap is refused after at most one row too many, not after it filled the heap.
 */
import { type DuckDBPreparedStatement, JSDuckDBValueConverter } from '@duckdb/node-api';

import { DbError, DbErrorCode } from '../errors';
import type { Row, Store } from '../store/store';
import { prepareReadOnly } from './read-only-sql';

export interface ReadOnlyQueryLimits {
  /** Most rows returned; one more is read to tell whether the answer was cut. */
  maxRows: number;
  /** Most bytes of the rows as JSON; over it the query is refused with `E_DB_RESULT_TOO_LARGE`. */
  maxBytes: number;
  /** The statement is interrupted after this long. */
  timeoutMs: number;
}

/** At most `maxRows` rows, and whether more existed. */
export interface ReadOnlyQueryResult {
  columns: string[];
  rows: Row[];
  truncated: boolean;
}

/**
 * A DuckDB value as JSON can carry it: BIGINT/HUGEINT as a number when exact, else as a decimal string (never a
 * rounded number); BLOB as `\x..` hex; lists, structs and maps converted inside.
 */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Uint8Array) {
    return `\\x${Buffer.from(value).toString('hex')}`;
  }
  if (Array.isArray(value)) {
    return value.map(jsonSafe);
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

const tooLarge = (what: string): DbError =>
  new DbError(DbErrorCode.ResultTooLarge, `${what}; narrow the query: select fewer or shorter columns (left(col, n)), add WHERE or LIMIT, or aggregate`);

async function readCapped(prepared: DuckDBPreparedStatement, limits: ReadOnlyQueryLimits, expired: () => boolean): Promise<ReadOnlyQueryResult> {
  try {
    const result = await prepared.stream();
    const columns = result.deduplicatedColumnNames();
    const rows: Row[] = [];
    let bytes = 2; // the enclosing []
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) {
        return { columns, rows, truncated: false };
      }
      for (let i = 0; i < chunk.rowCount; i++) {
        if (rows.length === limits.maxRows) {
          return { columns, rows, truncated: true };
        }
        let row: Row;
        try {
          const values = chunk.convertRowValues(i, JSDuckDBValueConverter);
          row = Object.fromEntries(columns.map((c, k) => [c, jsonSafe(values[k] ?? null)]));
          bytes += Buffer.byteLength(JSON.stringify(row)) + 1;
        } catch (error) {
          // a single value longer than a JS string can hold (about 512 MiB)
          throw tooLarge(`row ${rows.length + 1} cannot be converted to JSON (${(error as Error).message})`);
        }
        if (bytes > limits.maxBytes) {
          throw tooLarge(`the answer passed ${limits.maxBytes} bytes at row ${rows.length + 1}`);
        }
        rows.push(row);
      }
      if (expired()) {
        throw new DbError(DbErrorCode.QueryTimeout, 'interrupted');
      }
    }
  } finally {
    prepared.destroySync();
  }
}

/**
 * Runs `sql` if it is one reading statement. Only this call's connection is interrupted on timeout. The timeout
 * bounds the run, not the gate: a statement the gate refuses is refused (E_DB_READ_ONLY) however busy the machine,
 * never answered with a timeout (the gate only parses and binds SQL already capped by the request body limit).
 * @throws DbError E_DB_READ_ONLY, E_DB_QUERY, E_DB_QUERY_TIMEOUT, E_DB_RESULT_TOO_LARGE
 */
export async function readOnlyQuery(store: Store, sql: string, limits: ReadOnlyQueryLimits): Promise<ReadOnlyQueryResult> {
  store.flushAll();
  return store.withConnection(async (connection) => {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      await connection.run('BEGIN TRANSACTION READ ONLY');
      const prepared = await prepareReadOnly(connection, sql);
      const started = Date.now();
      timer = setTimeout(() => {
        timedOut = true;
        connection.interrupt();
      }, limits.timeoutMs);
      return await readCapped(prepared, limits, () => Date.now() - started > limits.timeoutMs);
    } catch (error) {
      if (timedOut || (error instanceof DbError && error.code === DbErrorCode.QueryTimeout)) {
        throw new DbError(DbErrorCode.QueryTimeout, `query interrupted after ${limits.timeoutMs} ms; narrow it (WHERE, LIMIT) or raise the timeout`, { cause: error });
      }
      if (error instanceof DbError) {
        throw error;
      }
      const message = (error as Error).message;
      // the READ ONLY transaction stopped a write the gate did not see (nextval() of a sequence, say)
      const code = /read-only mode/i.test(message) ? DbErrorCode.ReadOnlyViolation : DbErrorCode.Query;
      throw new DbError(code, message, { cause: error });
    } finally {
      clearTimeout(timer);
      await connection.run('ROLLBACK').catch(() => undefined);
    }
  });
}
