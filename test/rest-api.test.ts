/**
 * The REST API on a real port with a real HTTP client (fetch) over a temp-file DuckDB: every endpoint, 401 on
 * writes without the token, every mutating statement kind refused by /query with the data unchanged, and 4xx (never
 * 5xx) for malformed requests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createApi, listen, Store } from '@browser-pool/db-integration';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'bp-rest-'));
const TOKEN = 'test-token-123';
let store: Store;
let app: FastifyInstance;
let base: string;

const perf = (over: Record<string, unknown> = {}) => ({
  model_name: 'bert-tiny', model_type: 'text_embedding', browser: 'chromium', browser_version: '131', backend: 'wasm', batch_size: 1,
  p50_latency_ms: 4, mean_latency_ms: 4.2, throughput_items_per_s: 240, host: 'ci-host', created_at: '2026-11-20T10:00:00Z', ...over,
});

interface ErrorBody {
  error: { code: string; message: string };
}
type Rows = Record<string, unknown>[];

async function call<T = ErrorBody>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json: json as T, type: res.headers.get('content-type') ?? '' };
}
const auth = { authorization: `Bearer ${TOKEN}` };
const count = async (table: string) => (await store.one<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n;

beforeAll(async () => {
  store = await Store.open({ path: join(dir, 'api.duckdb') });
  app = await createApi({ store, token: TOKEN, queryRowLimit: 5, queryTimeoutMs: 300, bodyLimit: 200_000 });
  base = await listen(app, TOKEN, { port: 0 });
});

afterAll(async () => {
  await app.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('REST API', () => {
  it('GET / and /health describe the server', async () => {
    const root = await call<{ endpoints: string[] }>('GET', '/');
    expect(root.status).toBe(200);
    expect(root.json.endpoints).toContain('POST /query');
    const health = await call('GET', '/health');
    expect(health.json).toMatchObject({ status: 'ok', schemaVersion: store.schemaVersion });
  });

  it('writes need the bearer token', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }] as Record<string, string>[]) {
      const res = await call('POST', '/performance', { results: [perf()] }, headers);
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('E_UNAUTHORIZED');
    }
    expect(await count('performance_results')).toBe(0);
  });

  it('POST /performance stores a batch once; GET filters it back', async () => {
    const batch = { results: [perf(), perf({ browser: 'firefox', p50_latency_ms: 8, throughput_items_per_s: 120 }), perf({ backend: 'webgpu', is_simulated: true, simulation_reason: 'SwiftShader', p50_latency_ms: 6, throughput_items_per_s: 160 })] };
    const first = await call<unknown>('POST', '/performance', batch, auth);
    expect(first.status).toBe(201);
    expect(first.json).toEqual({ inserted: 3, duplicates: 0 });
    const again = await call<unknown>('POST', '/performance', batch, auth);
    expect(again.json).toEqual({ inserted: 0, duplicates: 3 });
    expect(await count('performance_results')).toBe(3);
    const got = await call<Rows>('GET', '/performance?model=bert-tiny&browser=firefox&days=3650');
    expect(got.json).toHaveLength(1);
    expect(got.json[0]).toMatchObject({ browser: 'firefox', p50_ms: 8, throughput: 120, source: 'benchmark' });
    const hw = await call<Rows>('GET', '/hardware');
    expect(hw.json.find((h) => h.backend === 'webgpu')).toMatchObject({ is_real_hardware: false, software_reason: 'SwiftShader', host: 'ci-host' });
    expect((await call<Rows>('GET', '/models')).json.map((m) => m.model_name)).toEqual(['bert-tiny']);
  });

  it('GET /performance/comparison/:model ranks groups with ratios', async () => {
    const res = await call<{ rows: { group: string; value: number; ratioToBest: number }[] }>('GET', '/performance/comparison/bert-tiny?metric=throughput&by=browser&days=3650');
    expect(res.status).toBe(200);
    expect(res.json.rows.map((r) => [r.group, r.value])).toEqual([['chromium', 200], ['firefox', 120]]);
    expect(res.json.rows[1]?.ratioToBest).toBeCloseTo(0.6, 6);
    expect((await call('GET', '/performance/comparison/bert-tiny?metric=speed')).status).toBe(400);
  });

  it('POST and GET /compatibility and /integration', async () => {
    const compat = await call<unknown>('POST', '/compatibility', { results: [{ model_name: 'vit-tiny', browser: 'chromium', backend: 'webnn', is_compatible: false, error_code: 'E_BACKEND_UNAVAILABLE' }] }, auth);
    expect(compat.json).toEqual({ inserted: 1, duplicates: 0 });
    const matrix = await call<Rows>('GET', '/compatibility?model=vit-tiny');
    expect(matrix.json.find((c) => c.backend === 'webnn')).toMatchObject({ model: 'vit-tiny', browser: 'chromium', status: 'fails', error: 'E_BACKEND_UNAVAILABLE' });
    expect(matrix.json.filter((c) => c.status !== 'untested')).toHaveLength(1);
    const integ = await call<unknown>('POST', '/integration', { results: [{ test_module: 'pool', test_name: 'runs bert', status: 'pass', execution_time_s: 1.5, model_name: 'bert-tiny' }, { test_module: 'pool', test_name: 'runs vit', status: 'fail', error_message: 'boom' }] }, auth);
    expect(integ.json).toEqual({ inserted: 2, duplicates: 0 });
    const failed = await call<Rows>('GET', '/integration?status=fail');
    expect(failed.json.map((r) => r.test_name)).toEqual(['runs vit']);
  });

  it('POST /query reads, caps rows and times out', async () => {
    const res = await call<{ columns: string[]; rows: Rows; truncated: boolean }>('POST', '/query', { sql: 'SELECT range AS i FROM range(20) ORDER BY i' });
    expect(res.status).toBe(200);
    expect(res.json.columns).toEqual(['i']);
    expect(res.json.rows.map((r) => r.i)).toEqual([0, 1, 2, 3, 4]);
    expect(res.json.truncated).toBe(true);
    const slow = await call('POST', '/query', { sql: 'SELECT count(*) FROM range(100000000) a, range(100000) b WHERE (a.range * b.range) % 7 = 3' });
    expect(slow.status).toBe(408);
    expect(slow.json.error.code).toBe('E_DB_QUERY_TIMEOUT');
    const bad = await call('POST', '/query', { sql: 'SELECT * FROM no_such_table' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('E_DB_QUERY');
  });

  it('POST /query refuses every statement that writes, loads or reaches files; data unchanged', async () => {
    const before = await count('performance_results');
    const statements = [
      'INSERT INTO models VALUES (99, \'x\', null, null, null, null, null, now())',
      'UPDATE performance_results SET p50_latency_ms = 0',
      'DELETE FROM performance_results',
      'CREATE TABLE x (a INT)',
      'DROP TABLE performance_results',
      'ALTER TABLE models ADD COLUMN z INT',
      "ATTACH '/tmp/other.duckdb' AS o",
      "COPY performance_results TO '/tmp/leak.csv'",
      'INSTALL httpfs',
      'LOAD httpfs',
      "PRAGMA enable_profiling='json'",
      "SET threads = 1",
      'CHECKPOINT',
      'SELECT 1; DELETE FROM performance_results',
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM '/etc/passwd'",
      "WITH x AS (SELECT 1) INSERT INTO models SELECT * FROM models",
      "SELECT * FROM query('DELETE FROM models')",
    ];
    for (const sql of statements) {
      const res = await call('POST', '/query', { sql });
      expect(res.status, sql).toBe(400);
      expect(res.json.error.code, sql).toBe('E_DB_READ_ONLY');
    }
    expect(await count('performance_results')).toBe(before);
    // keywords inside strings and comments do not count
    const ok = await call<{ rows: Rows }>('POST', '/query', { sql: "SELECT 'DELETE FROM x' AS s -- DROP TABLE y" });
    expect(ok.json.rows).toEqual([{ s: 'DELETE FROM x' }]);
  });

  it('malformed requests get 4xx with a code, never 5xx', async () => {
    const cases: [string, string, unknown, number][] = [
      ['POST', '/performance', '{"results": [', 400],
      ['POST', '/performance', { results: [] }, 400],
      ['POST', '/performance', { results: [perf({ batch_size: -1 })] }, 400],
      ['POST', '/performance', { results: [perf({ extra_field: 1 })] }, 400],
      ['POST', '/performance', { results: [{ model_name: 'm', browser: 'b', backend: 'wasm', batch_size: 1 }] }, 400],
      ['POST', '/performance', { results: [perf({ created_at: 'yesterday' })] }, 400],
      ['POST', '/query', { sql: 42 }, 400],
      ['POST', '/query', null, 400],
      ['POST', '/integration', { results: [{ test_module: 'a', test_name: 'b', status: 'maybe' }] }, 400],
      ['GET', '/performance?days=-1', undefined, 400],
      ['GET', '/performance?limit=abc', undefined, 400],
      ['GET', '/reports/bogus', undefined, 400],
      ['GET', '/no/such/route', undefined, 404],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await call(method, path, body, auth);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(typeof res.json.error.code).toBe('string');
      expect(res.json.error.message.length).toBeGreaterThan(3);
    }
    const big = await call('POST', '/performance', { results: Array.from({ length: 2000 }, (_, i) => perf({ batch_size: i + 1 })) }, auth);
    expect(big.status).toBe(413);
    const text = await call('POST', '/performance', 'model=x', { ...auth, 'content-type': 'application/x-www-form-urlencoded' });
    expect(text.status).toBe(415);
    expect(await count('performance_results')).toBe(3);
  });

  it('analysis, reports and metrics', async () => {
    expect((await call<unknown>('GET', '/regressions')).json).toEqual([]);
    const recs = await call<unknown>('GET', '/recommendations');
    expect(recs.status).toBe(200);
    expect(Array.isArray(recs.json)).toBe(true);
    const md = await call('GET', '/reports/performance?format=md&days=3650');
    expect(md.type).toContain('text/markdown');
    expect(md.text).toContain('| bert-tiny | text_embedding | firefox | wasm | 1 |');
    const csv = await call('GET', '/reports/compatibility?format=csv');
    expect(csv.text).toMatch(/vit-tiny,chromium,webnn,fails,E_BACKEND_UNAVAILABLE/);
    const metrics = await call('GET', '/metrics');
    expect(metrics.type).toContain('text/plain');
    expect(metrics.text).toContain('browser_pool_db_rows{table="performance_results"} 3');
    expect(metrics.text).toMatch(/browser_pool_api_rows_written_total\{table="performance_results"\} 3/);
    expect(metrics.text).toMatch(/browser_pool_api_requests_total\{method="POST",route="\/performance",status="401"\} 3/);
  });

  it('concurrent writes and reads all succeed; overlapping batches store each row once', async () => {
    const before = (await count('performance_results')) ?? 0;
    const batch = (k: number) => ({ results: Array.from({ length: 100 }, (_, i) => perf({ model_name: 'concurrent', batch_size: 1 + k * 60 + i, created_at: '2026-11-21T00:00:00Z' })) });
    // batches overlap: k*60 .. k*60+99, so neighbouring batches share 40 rows
    const calls = [
      ...Array.from({ length: 8 }, (_, k) => call<{ inserted: number; duplicates: number }>('POST', '/performance', batch(k), auth)),
      ...Array.from({ length: 4 }, () => call<{ inserted: number; duplicates: number }>('POST', '/query', { sql: "SELECT count(*) AS n FROM performance_results WHERE model_id IS NOT NULL" })),
    ];
    const results = await Promise.all(calls);
    expect(results.map((r) => r.status)).toEqual([...Array(8).fill(201), ...Array(4).fill(200)]);
    const inserted = results.slice(0, 8).reduce((n, r) => n + r.json.inserted, 0);
    expect(inserted).toBe(7 * 60 + 100); // distinct batch sizes 1..520
    expect(await count('performance_results')).toBe(before + inserted);
  });

  it('POST /regressions/:id/status acknowledges a finding (token required)', async () => {
    await store.run(
      `INSERT INTO performance_regression (id, detected_at, series_key, source, model_name, browser, requested_backend, batch_size, metric, detector, kind, severity, change_at, details)
       VALUES (7, now(), 'k', 'benchmark', 'bert-tiny', 'chromium', 'wasm', 1, 'latency', 'rank-changepoint', 'regression', 'high', now(), '{"detail": "p50 +40 %"}')`,
    );
    expect((await call('POST', '/regressions/7/status', { status: 'acknowledged' })).status).toBe(401);
    const ok = await call<unknown>('POST', '/regressions/7/status', { status: 'acknowledged', note: 'known: new ORT version' }, auth);
    expect(ok.json).toEqual({ id: 7, status: 'acknowledged' });
    const listed = await call<{ id: number; status: string; detail: string }[]>('GET', '/regressions?status=acknowledged');
    expect(listed.json.map((r) => [r.id, r.status, r.detail])).toEqual([[7, 'acknowledged', 'p50 +40 %']]);
    expect((await store.one('SELECT status_note FROM performance_regression WHERE id = 7'))?.status_note).toBe('known: new ORT version');
    const missing = await call('POST', '/regressions/99/status', { status: 'resolved' }, auth);
    expect([missing.status, missing.json.error.code]).toEqual([400, 'E_DB_INVALID_ARGUMENT']);
    expect((await call('POST', '/regressions/7/status', { status: 'fixed' }, auth)).status).toBe(400);
    expect((await call('POST', '/regressions/abc/status', { status: 'resolved' }, auth)).status).toBe(400);
  });

  it('serves an OpenAPI document of every route', async () => {
    const doc = (await call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json')).json;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths['/performance'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    // one result or a batch of them
    expect(doc.paths['/performance']?.post).toMatchObject({
      requestBody: { content: { 'application/json': { schema: { anyOf: [
        { properties: { results: { maxItems: 10_000, items: { required: expect.arrayContaining(['model_name', 'browser', 'backend', 'batch_size']) as unknown } } } },
        { required: expect.arrayContaining(['model_name', 'browser', 'backend', 'batch_size']) as unknown, properties: { iterations: { maximum: 2_147_483_647 } } },
      ] } } } },
    });
    for (const p of ['/query', '/compatibility', '/integration', '/metrics', '/reports/{kind}', '/performance/comparison/{model}']) {
      expect(doc.paths[p], p).toBeDefined();
    }
  });

  it('refuses a non-loopback address without a token', async () => {
    const other = await createApi({ store });
    const saved = process.env.BROWSER_POOL_TOKEN;
    delete process.env.BROWSER_POOL_TOKEN;
    try {
      await expect(listen(other, undefined, { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT' });
    } finally {
      process.env.BROWSER_POOL_TOKEN = saved;
      await other.close();
    }
  });
});
