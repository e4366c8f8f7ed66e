/**
 * Errors of the measurement database. db-integration does not import browser-harness (DESIGN.md), so it keeps its
 * own small registry; codes are stable and distinct from the runtime's.
 */
export const DbErrorCode = {
  /** The file could not be opened (locked by another process, unreadable, not a DuckDB file). */
  Open: 'E_DB_OPEN',
  /** The file's schema is newer than this code knows. */
  SchemaTooNew: 'E_SCHEMA_TOO_NEW',
  /** A migration failed; the file is left at the last version that applied. */
  Migration: 'E_DB_MIGRATION',
  /** The store was used after `close()`. */
  Closed: 'E_DB_CLOSED',
  /** A caller passed a value the store cannot use (unknown format, negative days, ...). */
  InvalidArgument: 'E_DB_INVALID_ARGUMENT',
  /** A statement failed. */
  Query: 'E_DB_QUERY',
  /** A caller's query ran past its statement timeout and was interrupted. */
  QueryTimeout: 'E_DB_QUERY_TIMEOUT',
  /** A caller's SQL is not a single read-only statement (`/query`, `browser-pool query`). */
  ReadOnlyViolation: 'E_DB_READ_ONLY',
  /** A caller's query answer is larger than the byte cap; nothing was returned. */
  ResultTooLarge: 'E_DB_RESULT_TOO_LARGE',
  /** An import file could not be parsed or holds no recognizable results; nothing from it was stored. */
  ImportFormat: 'E_IMPORT_FORMAT',
  /** A backup could not be made or restored; the target is unchanged. */
  Backup: 'E_DB_BACKUP',
  /** A dashboard snapshot could not be written; the target folder is unchanged. */
  Snapshot: 'E_DB_SNAPSHOT',
  /** A collector refused an ingest batch for good (400, 409, 413); the batch is kept in the spool's rejected/ folder. */
  IngestRejected: 'E_INGEST_REJECTED',
  /** An ingest client's spool folder could not be written, or holds a file that is not a batch (moved to rejected/). */
  IngestSpool: 'E_INGEST_SPOOL',
} as const;
export type DbErrorCode = (typeof DbErrorCode)[keyof typeof DbErrorCode];

export class DbError extends Error {
  constructor(
    readonly code: DbErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  override get name(): string {
    return 'DbError';
  }
}
