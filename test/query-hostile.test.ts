/**
 * `POST /query` as an attacker sends it, over real HTTP to a real port on a temp-file DuckDB: every hidden-statement
 * variant of issue 12 and a table of others (PRAGMA, CALL, INSTALL, LOAD, SET, ATTACH, COPY TO, EXPORT DATABASE,
 * CHECKPOINT, file-reading functions, unicode and comment tricks). Each must get a 4xx, leave every table's rows
 * and their checksum unchanged, and leave no new file next to the database. Reading statements still work.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createApi, insertCompatibility, insertIntegration, insertPerformance, listen, Store } from '@browser-pool/db-integration';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'bp-hostile-sql-'));
const dbFile = join(dir, 'hostile.duckdb');
let store: Store;
let app: FastifyInstance;
let base: string;

const TABLES = ['models', 'hardware_platforms', 'test_runs', 'performance_results', 'hardware_compatibility', 'integration_test_results', 'migration_tracking', 'schema_version', 'performance_regression'];

/** Row count and a SHA-256 of every row of every table, in a fixed order. */
async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const rows = await store.all(`SELECT * FROM ${t} ORDER BY ALL`);
    out[t] = `${rows.length}:${createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16)}`;
  }
  const views = await store.all("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1");
  out.views = views.map((v) => String(v.view_name)).join(',');
  out.databases = (await store.all('SELECT database_name FROM duckdb_databases() ORDER BY 1')).map((d) => String(d.database_name)).join(',');
  return out;
}

async function query(sql: string, at = base) {
  const res = await fetch(`${at}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
  return { status: res.status, json: (await res.json()) as { error?: { code: string; message: string; field?: string; expected?: string }; rows?: Record<string, unknown>[] } };
}

const wal = `${dbFile}.wal`;
const HOSTILE: string[] = [
  // issue 12's hidden second statement, with each quoting variant
  "SELECT '--' AS a; DELETE FROM integration_test_results; SELECT 1 AS b --'",
  "SELECT '/*' AS a; DELETE FROM integration_test_results; SELECT '*/' AS b",
  "SELECT $$--$$ AS a; DELETE FROM integration_test_results; SELECT 1 AS b --",
  "SELECT $$'$$ AS a; UPDATE performance_results SET p50_latency_ms = 0; SELECT $$'$$ AS b",
  "SELECT '--' AS a; CREATE TABLE pwned (x INT); SELECT 1 --'",
  "SELECT '/*' AS a; DROP VIEW measurements; SELECT '*/'",
  "SELECT '--' AS a; ATTACH ':memory:' AS m; SELECT 1 --'",
  `SELECT '--' AS a; COPY models TO '${wal}.recovery'; SELECT 1 --'`,
  "SELECT '--' AS a; LOAD httpfs; SELECT 1 --'",
  "SELECT '--' AS a; SET threads = 1; SELECT 1 --'",
  // plain statements of every writing or escaping kind
  "INSERT INTO models VALUES (99, 'x', null, null, null, null, null, now())",
  'INSERT INTO models SELECT * FROM models RETURNING *',
  'UPDATE performance_results SET p50_latency_ms = 0',
  'DELETE FROM performance_results',
  'TRUNCATE integration_test_results',
  'CREATE TABLE x (a INT)',
  'CREATE OR REPLACE VIEW measurements AS SELECT 1',
  'CREATE MACRO m(a) AS a',
  'CREATE SEQUENCE s',
  'DROP TABLE performance_results',
  'ALTER TABLE models ADD COLUMN z INT',
  "ATTACH ':memory:' AS m",
  `ATTACH '${join(dir, 'other.duckdb')}' AS o`,
  'DETACH main',
  'USE memory',
  `COPY performance_results TO '${join(dir, 'leak.csv')}'`,
  `COPY performance_results TO '${wal}.recovery'`,
  `COPY (SELECT 1) TO '${join(dir, 'leak.parquet')}' (FORMAT parquet)`,
  `COPY FROM DATABASE hostile TO memory`,
  `EXPORT DATABASE '${join(dir, 'export')}'`,
  `IMPORT DATABASE '${dir}'`,
  'INSTALL httpfs',
  'FORCE INSTALL httpfs',
  'LOAD httpfs',
  'UPDATE EXTENSIONS',
  "PRAGMA enable_profiling='json'",
  'PRAGMA show_tables',
  'PRAGMA database_size',
  "PRAGMA table_info('models')",
  'SET threads = 1',
  'SET GLOBAL enable_external_access = true',
  'RESET lock_configuration',
  "SET VARIABLE x = 1",
  'CALL checkpoint()',
  'CALL pragma_show_tables()',
  'CHECKPOINT',
  'FORCE CHECKPOINT',
  'VACUUM',
  'ANALYZE',
  'BEGIN TRANSACTION',
  'COMMIT',
  'PREPARE p AS SELECT 1',
  'EXECUTE p',
  "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
  'EXPLAIN DELETE FROM performance_results',
  'EXPLAIN ANALYZE DELETE FROM performance_results',
  'EXPLAIN ANALYZE CREATE TABLE y AS SELECT 1',
  'DESCRIBE DELETE FROM performance_results',
  'WITH x AS (SELECT 1) INSERT INTO models SELECT * FROM models',
  'WITH d AS (DELETE FROM models RETURNING *) SELECT * FROM d',
  // SELECTs that call something that writes, runs SQL from a string or reads files
  'SELECT * FROM checkpoint()',
  'SELECT * FROM force_checkpoint()',
  'SELECT * FROM main.checkpoint()',
  'SELECT * FROM "CHECKPOINT"()',
  'SELECT 1 WHERE EXISTS (SELECT * FROM checkpoint())',
  'PIVOT (SELECT 1 AS a FROM checkpoint()) ON a',
  'SELECT * FROM enable_logging()',
  'SELECT * FROM disable_checkpoint_on_shutdown()',
  'SELECT * FROM truncate_duckdb_logs()',
  "SELECT * FROM copy_database('hostile', 'memory')",
  `SELECT * FROM import_database('${dir}')`,
  "SELECT * FROM add_parquet_key('k', '0123456789112345')",
  "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT * FROM models'))",
  "SELECT write_log('x')",
  'SELECT * FROM duckdb_secrets()',
  "SELECT * FROM query('DELETE FROM models')",
  "SELECT * FROM query('SELECT * FROM checkpoint()')",
  "SELECT * FROM query_table('models')",
  "SELECT * FROM read_csv('/etc/passwd')",
  "SELECT * FROM read_text('/etc/hostname')",
  `SELECT * FROM read_text('${wal}')`,
  `SELECT * FROM read_blob('${dbFile}')`,
  "SELECT * FROM read_parquet('/tmp/x.parquet')",
  "SELECT * FROM read_json_auto('/etc/x.json')",
  "SELECT * FROM parquet_metadata('/tmp/x.parquet')",
  "SELECT * FROM glob('/etc/*')",
  `SELECT * FROM glob('${dir}/*')`,
  "SELECT * FROM sniff_csv('/etc/passwd')",
  "SELECT * FROM '/etc/passwd'",
  `SELECT * FROM '${wal}'`,
  "FROM 'models.csv'",
  // unicode and comment tricks
  'SELECT 1\uFF1B DELETE FROM models',
  'SELECT 1;\u200B DELETE FROM models',
  'DEL\u200BETE FROM models',
  '\u0405ELECT 1; DELETE FROM models',
  'SELECT 1 /* ; */ ; DELETE FROM models',
  'SELECT 1 /* /* nested */ */ ; DELETE FROM models',
  'SELECT 1 --\n; DELETE FROM models',
  'SELECT 1 --\r; DELETE FROM models',
  "SELECT E'\\''; DELETE FROM models; SELECT ''",
  'SELECT "a;" FROM (SELECT 1 AS "a;"); DELETE FROM models',
  'dElEtE fRoM models',
  '\tDELETE\nFROM\tmodels',
  '/* SELECT */ DELETE FROM models',
  '-- SELECT\nDELETE FROM models',
  'EXPLAIN\nDELETE FROM models',
  '/**/EXPLAIN DELETE FROM models',
  'SELECT 1\u0000; DELETE FROM models',
  '',
  '   ',
  ';',
  'SELECT 1; SELECT 2',
];

beforeAll(async () => {
  store = await Store.open({ path: dbFile });
  await store.transaction(async () => {
    await insertPerformance(store, [
      { model_name: 'bert-tiny', browser: 'chromium', backend: 'wasm', batch_size: 1, p50_latency_ms: 4, is_simulated: false, created_at: '2026-01-01T00:00:00Z' },
      { model_name: 'vit-tiny', browser: 'firefox', backend: 'webgpu', batch_size: 2, p50_latency_ms: 9, is_simulated: true, simulation_reason: 'lavapipe', created_at: '2026-01-02T00:00:00Z' },
    ], null);
    await insertCompatibility(store, [{ model_name: 'vit-tiny', browser: 'chromium', backend: 'webnn', is_compatible: false, is_simulated: false }], null);
    await insertIntegration(store, [{ test_module: 'm', test_name: 't', status: 'pass' }], null);
  });
  app = await createApi({ store, token: 'tok', queryTimeoutMs: 2000 });
  base = await listen(app, 'tok', { port: 0 });
});

afterAll(async () => {
  await app.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('/query under hostile SQL', () => {
  it(`refuses ${HOSTILE.length} hostile statements with a 4xx; rows, checksums and the directory unchanged`, async () => {
    const before = await snapshot();
    const files = readdirSync(dir).sort();
    const outcomes: string[] = [];
    for (const sql of HOSTILE) {
      const res = await query(sql);
      outcomes.push(`${res.status} ${res.json.error?.code ?? 'OK'} ${JSON.stringify(sql).slice(0, 70)}`);
      expect(res.status, sql).toBeGreaterThanOrEqual(400);
      expect(res.status, sql).toBeLessThan(500);
      expect(['E_DB_READ_ONLY', 'E_DB_QUERY', 'E_BAD_REQUEST'], `${sql}: ${res.json.error?.message}`).toContain(res.json.error?.code);
      expect(res.json.error?.expected, sql).toBeTruthy();
    }
    expect(await snapshot()).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(files);
    // every statement that DuckDB parses as something other than one SELECT is refused by type, not by luck
    const readOnly = outcomes.filter((o) => o.includes('E_DB_READ_ONLY')).length;
    expect(readOnly).toBeGreaterThanOrEqual(HOSTILE.length - 12);
  });

  it('still answers reading statements of every accepted kind, keywords inside strings included', async () => {
    const ok: [string, unknown][] = [
      ["SELECT 'DELETE FROM x; DROP TABLE y' AS s -- ; DELETE", [{ s: 'DELETE FROM x; DROP TABLE y' }]],
      ['SELECT $$;DELETE FROM models;$$ AS s;', [{ s: ';DELETE FROM models;' }]],
      // DuckDB nests block comments: all of this after SELECT 1 is one comment, so it is one harmless SELECT
      ['SELECT 1 AS one /* /* nested */ ; DELETE FROM models -- */', [{ one: 1 }]],
      ['WITH x AS (SELECT 2 AS n) SELECT n FROM x', [{ n: 2 }]],
      ['FROM models SELECT model_name ORDER BY 1', [{ model_name: 'bert-tiny' }, { model_name: 'vit-tiny' }]],
      ['VALUES (1)', [{ col0: 1 }]],
      ['SELECT count(*) AS n FROM measurements', [{ n: 2 }]],
      ['SELECT sum(range) AS s FROM range(4)', [{ s: 6 }]],
      ["SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'models'", [{ n: 1 }]],
      ['SELECT 9007199254740993::BIGINT AS big, [1::BIGINT] AS l', [{ big: '9007199254740993', l: [1] }]],
    ];
    for (const [sql, rows] of ok) {
      const res = await query(sql);
      expect(res.status, `${sql}: ${JSON.stringify(res.json)}`).toBe(200);
      expect(res.json.rows, sql).toEqual(rows);
    }
    for (const sql of ['DESCRIBE models', 'SHOW TABLES', 'SUMMARIZE models', 'EXPLAIN SELECT * FROM models', 'EXPLAIN ANALYZE SELECT count(*) FROM models', 'TABLE models']) {
      const res = await query(sql);
      expect(res.status, `${sql}: ${JSON.stringify(res.json)}`).toBe(200);
      expect(res.json.rows?.length, sql).toBeGreaterThan(0);
    }
  });

  it('a write is refused as a write however short the timeout; the timeout bounds the run (a slow SELECT gets 408)', async () => {
    const hasty = await createApi({ store, token: 'tok', queryTimeoutMs: 1 });
    try {
      const at = await listen(hasty, 'tok', { port: 0 });
      for (const sql of ['UPDATE performance_results SET p50_latency_ms = 0', 'DELETE FROM models', "COPY models TO '/tmp/x.csv'"]) {
        const res = await query(sql, at);
        expect([res.status, res.json.error?.code], sql).toEqual([400, 'E_DB_READ_ONLY']);
      }
      const slow = await query('SELECT count(*) AS n FROM range(10000000000) a', at);
      expect([slow.status, slow.json.error?.code]).toEqual([408, 'E_DB_QUERY_TIMEOUT']);
    } finally {
      await hasty.close();
    }
  });

  it('defence in depth: the served instance itself can no longer reach files or change settings', async () => {
    await expect(store.run(`COPY models TO '${join(dir, 'direct.csv')}'`)).rejects.toMatchObject({ code: 'E_DB_QUERY' });
    await expect(store.run('SET GLOBAL enable_external_access = true')).rejects.toMatchObject({ code: 'E_DB_QUERY' });
    expect(readdirSync(dir)).not.toContain('direct.csv');
    expect(await store.one("SELECT current_setting('enable_external_access') AS e, current_setting('lock_configuration') AS l")).toEqual({ e: false, l: true });
  });
});
