/**
 * Batched appends to one table. `push` appends to a DuckDB appender at once (no SQL per row); rows become durable
 * and visible when the appender is flushed: every `batchRows` rows, on `flush()`, and on `close()`. A crash loses at
 * most the rows pushed since the last flush; every flushed batch is committed to the file (or its WAL).
 */
import { type DuckDBAppender, DuckDBTimestampValue } from '@duckdb/node-api';

import { DbError, DbErrorCode } from '../errors';

export interface WriterOptions {
  /** The table's id column; filled by the writer. */
  idColumn: string;
  /** Rows per automatic flush. @default 2000 */
  batchRows?: number;
}

/** A column value: Date for TIMESTAMP, any JSON-serializable value for JSON, undefined/null for NULL. */
export type Value = string | number | boolean | Date | null | undefined | object;

interface Column {
  name: string;
  type: string;
}

type Append = (a: DuckDBAppender, v: NonNullable<Value>) => void;

const APPENDERS: Record<string, Append> = {
  BIGINT: (a, v) => a.appendBigInt(BigInt(Math.round(v as number))),
  INTEGER: (a, v) => a.appendInteger(Math.round(v as number)),
  DOUBLE: (a, v) => a.appendDouble(v as number),
  BOOLEAN: (a, v) => a.appendBoolean(v as boolean),
  VARCHAR: (a, v) => a.appendVarchar(typeof v === 'string' ? v : JSON.stringify(v)),
  JSON: (a, v) => a.appendVarchar(typeof v === 'string' ? v : JSON.stringify(v)),
  TIMESTAMP: (a, v) => a.appendTimestamp(new DuckDBTimestampValue(BigInt((v as Date).getTime()) * 1000n)),
};

export class TableWriter {
  private readonly appends: { name: string; append: Append }[];
  private readonly batchRows: number;
  private pending = 0;
  private written = 0;
  private closed = false;

  constructor(
    readonly table: string,
    columns: readonly Column[],
    private readonly appender: DuckDBAppender,
    private readonly options: WriterOptions,
    private nextIdValue: number,
  ) {
    this.batchRows = options.batchRows ?? 2000;
    this.appends = columns.map((c) => {
      const append = APPENDERS[c.type];
      if (append === undefined) {
        throw new DbError(DbErrorCode.InvalidArgument, `table ${table} column ${c.name} has type ${c.type}, which the writer does not append`);
      }
      return { name: c.name, append };
    });
  }

  /** The id the next pushed row gets. */
  get nextId(): number {
    return this.nextIdValue;
  }

  /** Reserves ids for rows inserted by other means (the store's `nextId`). */
  reserve(count: number): number {
    const first = this.nextIdValue;
    this.nextIdValue += count;
    return first;
  }

  /** Rows flushed so far. */
  get flushedRows(): number {
    return this.written;
  }

  /** Appends one row (columns by name; missing ones are NULL); returns its id. */
  push(row: Readonly<Record<string, Value>>): number {
    if (this.closed) {
      throw new DbError(DbErrorCode.Closed, `writer for ${this.table} is closed`);
    }
    const id = this.nextIdValue++;
    const a = this.appender;
    for (const { name, append } of this.appends) {
      const v = name === this.options.idColumn ? id : row[name];
      if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) {
        a.appendNull();
      } else {
        append(a, v);
      }
    }
    a.endRow();
    if (++this.pending >= this.batchRows) {
      this.flush();
    }
    return id;
  }

  /** Makes every pushed row durable and visible; returns how many were flushed. */
  flush(): number {
    if (this.pending === 0 || this.closed) {
      return 0;
    }
    this.appender.flushSync();
    const n = this.pending;
    this.written += n;
    this.pending = 0;
    return n;
  }

  close(): void {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      this.appender.closeSync();
    }
  }
}
