/**
 * Numeric columns of a query read straight from DuckDB's result vectors: each chunk's column data is a view over the
 * vector's native memory (the C API's `duckdb_vector_get_data`, `duckdb_vector_get_validity`), copied into typed
 * arrays in one pass, without a JS value per cell (which @duckdb/node-api's readers build). The regression scan reads
 * a million rows through it.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';

import { DbError, DbErrorCode } from '../errors';

/**
 * One column of one chunk, as views over the vector's native memory: valid only during the `forEachRawChunk` visit
 * that gets it. `valid`: DuckDB's validity mask (bit i of byte i >> 3 set = row i not NULL), null when no row is NULL.
 */
export type RawVector = { type: 'number'; values: ArrayLike<number>; valid: Uint8Array | null } | { type: 'bits64'; words: Int32Array; valid: Uint8Array | null };

export const isValid = (valid: Uint8Array | null, row: number): boolean => valid === null || (valid[row >> 3]! & (1 << (row & 7))) !== 0;

type View = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayLike<number>;

const NUMBER_VIEWS: Partial<Record<DuckDBTypeId, { view: View; bytes: number }>> = {
  [DuckDBTypeId.DOUBLE]: { view: Float64Array, bytes: 8 },
  [DuckDBTypeId.FLOAT]: { view: Float32Array, bytes: 4 },
  [DuckDBTypeId.INTEGER]: { view: Int32Array, bytes: 4 },
  [DuckDBTypeId.UINTEGER]: { view: Uint32Array, bytes: 4 },
  [DuckDBTypeId.SMALLINT]: { view: Int16Array, bytes: 2 },
  [DuckDBTypeId.USMALLINT]: { view: Uint16Array, bytes: 2 },
  [DuckDBTypeId.TINYINT]: { view: Int8Array, bytes: 1 },
  [DuckDBTypeId.UTINYINT]: { view: Uint8Array, bytes: 1 },
};
const BITS64 = new Set<DuckDBTypeId>([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT]);

function rawVector(vector: duckdb.Vector, type: DuckDBTypeId, rows: number): RawVector {
  const mask = duckdb.vector_get_validity(vector, 8 * Math.ceil(rows / 64)) as Uint8Array | null;
  const valid = mask === null ? null : new Uint8Array(mask.buffer, mask.byteOffset, Math.ceil(rows / 8));
  if (BITS64.has(type)) {
    const data = duckdb.vector_get_data(vector, 8 * rows);
    return { type: 'bits64', words: new Int32Array(data.buffer, data.byteOffset, 2 * rows), valid };
  }
  const { view, bytes } = NUMBER_VIEWS[type]!;
  const data = duckdb.vector_get_data(vector, bytes * rows);
  return { type: 'number', values: new view(data.buffer, data.byteOffset, rows), valid };
}

/**
 * Runs `sql` (streamed) and calls `visit` with each chunk's columns (see `RawVector`; up to 2048 rows a chunk) and the
 * number of rows before it. Every column must be numeric; select timestamps as `epoch_ms(...)`.
 * @throws DbError E_DB_INVALID_ARGUMENT naming a column of another type
 */
export async function forEachRawChunk(
  connection: DuckDBConnection,
  sql: string,
  params: readonly (string | number | boolean | null)[],
  visit: (columns: RawVector[], rows: number, before: number) => void,
): Promise<number> {
  const result = await connection.stream(sql, [...params]);
  const types: DuckDBTypeId[] = [];
  for (let j = 0; j < result.columnCount; j++) {
    const type = result.columnTypeId(j);
    if (NUMBER_VIEWS[type] === undefined && !BITS64.has(type)) {
      throw new DbError(
        DbErrorCode.InvalidArgument,
        `column ${JSON.stringify(result.columnName(j))} is ${DuckDBTypeId[type]}: the raw reader takes DOUBLE, FLOAT, (U)TINYINT..(U)BIGINT only; cast it (timestamps: epoch_ms(...))`,
      );
    }
    types.push(type);
  }
  let before = 0;
  // The next chunk is fetched (on DuckDB's threads) while this one is visited: a chunk is its own memory, which
  // later fetches leave alone.
  let next = result.fetchChunk();
  try {
    for (let chunk = await next; chunk !== null && chunk.rowCount > 0; chunk = await next) {
      next = result.fetchChunk();
      const rows = chunk.rowCount;
      visit(
        types.map((type, j) => rawVector(duckdb.data_chunk_get_vector(chunk.chunk, j), type, rows)),
        rows,
        before,
      );
      before += rows;
    }
  } catch (error) {
    // A visit that throws leaves a fetch under way: it is waited for (its own failure aside) before the error goes on.
    await next.catch(() => null);
    throw error;
  }
  return before;
}
