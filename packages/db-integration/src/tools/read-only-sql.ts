/**
 * The read-only gate of `/query` and `browser-pool query`: one statement that starts with a reading keyword and
 * names nothing that writes, loads code, or touches files. This is the first line; the server also opens DuckDB with
 * external access disabled and its configuration locked, so a statement that slipped past still cannot reach a file.
 */
import { DbError, DbErrorCode } from '../errors';

/** First keywords of statements that only read. */
const READING = new Set(['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'DESCRIBE', 'SHOW', 'SUMMARIZE', 'EXPLAIN']);

/** Words that write, change settings, load code or reach outside the database, anywhere in the statement. */
const FORBIDDEN = new Set([
  'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'UPSERT', 'TRUNCATE', 'CREATE', 'DROP', 'ALTER', 'ATTACH', 'DETACH',
  'COPY', 'EXPORT', 'IMPORT', 'INSTALL', 'LOAD', 'FORCE', 'PRAGMA', 'SET', 'RESET', 'CALL', 'CHECKPOINT', 'VACUUM',
  'BEGIN', 'COMMIT', 'ROLLBACK', 'ABORT', 'TRANSACTION', 'GRANT', 'REVOKE', 'USE', 'COMMENT', 'PREPARE', 'EXECUTE',
  'DEALLOCATE',
]);

/** Table functions that read files or URLs. */
const FILE_FUNCTIONS = /^(read_\w+|\w+_scan|glob|sniff_csv|parquet_\w+|iceberg_\w+|delta_\w+|query_table|query)$/i;

/** The statement without comments and string literals (their contents cannot write; keywords inside them must not count). */
function codeOnly(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""');
}

/**
 * Throws `E_DB_READ_ONLY` unless `sql` is one statement that only reads.
 * @returns the statement without a trailing semicolon
 */
export function assertReadOnlySql(sql: unknown): string {
  if (typeof sql !== 'string' || sql.trim() === '') {
    throw new DbError(DbErrorCode.ReadOnlyViolation, 'sql must be a non-empty string holding one SELECT (or WITH, DESCRIBE, SHOW, EXPLAIN) statement');
  }
  const statement = sql.trim().replace(/;\s*$/, '');
  const code = codeOnly(statement);
  if (code.includes(';')) {
    throw new DbError(DbErrorCode.ReadOnlyViolation, 'only one statement is allowed; remove the ";" between statements');
  }
  const words = code.toUpperCase().match(/[A-Z_][A-Z0-9_]*/g) ?? [];
  const first = words[0] ?? '';
  if (!READING.has(first)) {
    throw new DbError(DbErrorCode.ReadOnlyViolation, `only reading statements are allowed (SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN), got ${first || 'nothing'}`);
  }
  const bad = words.find((w) => FORBIDDEN.has(w));
  if (bad !== undefined) {
    throw new DbError(DbErrorCode.ReadOnlyViolation, `${bad} is not allowed in a read-only query (writes, settings, extensions and files are refused)`);
  }
  for (const call of code.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) {
    const name = call[1] ?? '';
    if (FILE_FUNCTIONS.test(name)) {
      throw new DbError(DbErrorCode.ReadOnlyViolation, `${name}() reads files or URLs and is not allowed in a read-only query`);
    }
  }
  if (/\b(FROM|JOIN)\s+''/i.test(code)) {
    throw new DbError(DbErrorCode.ReadOnlyViolation, 'reading a file by quoting its path (FROM \'file\') is not allowed in a read-only query');
  }
  return statement;
}
