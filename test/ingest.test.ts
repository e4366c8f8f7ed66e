/**
 * `POST /ingest` under hostile callers, on a real loopback port over a temp-file DuckDB: the token, malformed and
 * half-valid batches (nothing stored), idempotency (a replay and 8 concurrent identical retries stored once, the key
 * with another body 409), the result-count and body-size limits (413), and an atomic mixed batch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createApi, listen, Store } from '@browser-pool/db-integration';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'bp-ingest-'));
const TOKEN = 'ingest-token-0123456789';
let store: Store;
let app: FastifyInstance;
let base: string;

interface Answer {
  status: number;
  replayed: string | null;
  json: { error?: { code: string; field?: string; problem?: string }; inserted?: number; duplicates?: number; rows?: number; key?: string; kinds?: Record<string, { inserted: number }> };
}

async function ingest(body: unknown, key: string | undefined, token: string | null = TOKEN): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) {
    headers['idempotency-key'] = key;
  }
  if (token !== null) {
    headers.authorization = `Bearer ${token}`;
  }
  const res = await fetch(`${base}/ingest`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, replayed: res.headers.get('idempotent-replayed'), json: (await res.json()) as Answer['json'] };
}

const perf = (i: number, over: Record<string, unknown> = {}) => ({ model_name: 'bert-tiny', browser: 'chromium', backend: 'wasm', batch_size: 1, p50_latency_ms: 4 + i / 1000, created_at: '2026-02-01T00:00:00Z', ...over });
const compat = (browser: string) => ({ model_name: 'bert-tiny', browser, backend: 'webgpu', is_compatible: false, error_code: 'E_BACKEND_UNAVAILABLE' });
const count = async (table: string): Promise<number> => (await store.one<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n ?? 0;
const counts = async () => ({ perf: await count('performance_results'), compat: await count('hardware_compatibility'), integ: await count('integration_test_results'), keys: await count('ingest_batches') });

beforeAll(async () => {
  store = await Store.open({ path: join(dir, 'bench.duckdb') });
  app = await createApi({ store, token: TOKEN, ingestMaxRows: 50, bodyLimit: 64 * 1024 });
  base = await listen(app, TOKEN, { port: 0 });
});

afterAll(async () => {
  await app.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /ingest', () => {
  it('refuses a missing or wrong token (401) and a server without one, storing nothing', async () => {
    const before = await counts();
    const missing = await ingest({ performance: [perf(0)] }, 'key-no-token-1', null);
    expect([missing.status, missing.json.error?.code, missing.json.error?.field]).toEqual([401, 'E_UNAUTHORIZED', 'header.authorization']);
    const wrong = await ingest({ performance: [perf(0)] }, 'key-wrong-token-1', 'ingest-token-0123456780');
    expect([wrong.status, wrong.json.error?.code]).toEqual([401, 'E_UNAUTHORIZED']);
    const readOnly = await createApi({ store, token: '' });
    const res = await readOnly.inject({ method: 'POST', url: '/ingest', headers: { 'idempotency-key': 'key-read-only-1', authorization: 'Bearer ' }, payload: { performance: [perf(0)] } });
    expect([res.statusCode, res.json<Answer['json']>().error?.code]).toEqual([401, 'E_UNAUTHORIZED']);
    await readOnly.close();
    expect(await counts()).toEqual(before);
  });

  it('refuses malformed batches with 400 and a code naming the field, storing nothing', async () => {
    const before = await counts();
    const cases: [unknown, string | undefined, string][] = [
      ['{"performance": [', 'key-bad-json-01', 'body'],
      [[perf(0)], 'key-bad-array-01', 'body'],
      [{}, 'key-empty-0001', 'body'],
      [{ performance: [] }, 'key-empty-0002', 'body'],
      [{ performance: [perf(0)], extra: 1 }, 'key-extra-0001', 'body'],
      [{ performance: [perf(0, { batch_size: -1 })] }, 'key-negative-01', 'body.performance.0.batch_size'],
      [{ performance: [perf(0)] }, undefined, 'headers.idempotency-key'],
      [{ performance: [perf(0)] }, 'short', 'headers.idempotency-key'],
      [{ performance: [perf(0)] }, 'key with spaces!', 'headers.idempotency-key'],
    ];
    for (const [body, key, field] of cases) {
      const a = await ingest(body, key);
      expect([a.status, a.json.error?.code, a.json.error?.field], JSON.stringify(body).slice(0, 60)).toEqual([400, 'E_BAD_REQUEST', field]);
    }
    expect(await counts()).toEqual(before);
  });

  it('rejects a half-valid batch whole: nothing of it is stored and its key stays free', async () => {
    const before = await counts();
    const body = { performance: [perf(100), perf(101), perf(102, { p50_latency_ms: 'fast' })], compatibility: [compat('firefox')] };
    const a = await ingest(body, 'key-half-valid-1');
    expect([a.status, a.json.error?.code, a.json.error?.field]).toEqual([400, 'E_BAD_REQUEST', 'body.performance.2.p50_latency_ms']);
    expect(await counts()).toEqual(before);
    const fixed = await ingest({ ...body, performance: [perf(100), perf(101), perf(102)] }, 'key-half-valid-1');
    expect([fixed.status, fixed.json.inserted, fixed.json.kinds?.performance?.inserted, fixed.json.kinds?.compatibility?.inserted]).toEqual([201, 4, 3, 1]);
    expect(await counts()).toEqual({ ...before, perf: before.perf + 3, compat: before.compat + 1, keys: before.keys + 1 });
  });

  it('stores a batch once: a replay gets the first answer, the key with another body is 409', async () => {
    const body = { performance: [perf(200), perf(201)], integration: [{ test_module: 'm', test_name: 't', status: 'pass' }] };
    const first = await ingest(body, 'key-replay-0001');
    expect([first.status, first.replayed, first.json.inserted, first.json.rows]).toEqual([201, 'false', 3, 3]);
    const after = await counts();
    const again = await ingest(body, 'key-replay-0001');
    expect([again.status, again.replayed]).toEqual([201, 'true']);
    expect(again.json).toEqual(first.json);
    // key order in the body does not make it another batch
    const reordered = await ingest({ integration: body.integration, performance: body.performance.map((p) => Object.fromEntries(Object.entries(p).reverse())) }, 'key-replay-0001');
    expect([reordered.status, reordered.replayed]).toEqual([201, 'true']);
    const other = await ingest({ performance: [perf(202)] }, 'key-replay-0001');
    expect([other.status, other.json.error?.code, other.json.error?.field]).toEqual([409, 'E_IDEMPOTENCY_CONFLICT', 'header.idempotency-key']);
    expect(await counts()).toEqual(after);
    const stored = await store.one<{ rows: number; outcome: string }>("SELECT rows, outcome::VARCHAR AS outcome FROM ingest_batches WHERE idempotency_key = 'key-replay-0001'");
    expect(stored?.rows).toBe(3);
    expect(JSON.parse(stored?.outcome ?? '{}')).toEqual(first.json);
  });

  it('stores 8 concurrent identical retries once', async () => {
    const before = await counts();
    const body = { performance: Array.from({ length: 20 }, (_, i) => perf(300 + i)) };
    const answers = await Promise.all(Array.from({ length: 8 }, () => ingest(body, 'key-concurrent-01')));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(answers.filter((a) => a.replayed === 'false')).toHaveLength(1);
    expect(new Set(answers.map((a) => JSON.stringify(a.json))).size).toBe(1);
    expect(answers[0]?.json.inserted).toBe(20);
    expect(await counts()).toEqual({ ...before, perf: before.perf + 20, keys: before.keys + 1 });
  });

  it('refuses more results than the limit and a body over the byte limit with 413, storing nothing', async () => {
    const before = await counts();
    const many = await ingest({ performance: Array.from({ length: 30 }, (_, i) => perf(400 + i)), compatibility: Array.from({ length: 21 }, (_, i) => compat(`b${i}`)) }, 'key-too-many-01');
    expect([many.status, many.json.error?.code, many.json.error?.field]).toEqual([413, 'E_BATCH_TOO_LARGE', 'body']);
    expect(many.json.error?.problem).toContain('51 results');
    const big = await ingest({ performance: [perf(500, { metadata: { note: 'x'.repeat(70 * 1024) } })] }, 'key-too-big-001');
    expect([big.status, big.json.error?.code]).toEqual([413, 'E_BODY_TOO_LARGE']);
    expect(await counts()).toEqual(before);
    // exactly at the limit is fine
    const full = await ingest({ performance: Array.from({ length: 50 }, (_, i) => perf(600 + i)) }, 'key-at-limit-01');
    expect([full.status, full.json.inserted]).toEqual([201, 50]);
  });

  it('states the limits in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { info: { 'x-limits': Record<string, number> }; paths: Record<string, unknown> };
    expect(doc.info['x-limits'].ingestBatchResults).toBe(50);
    expect(doc.paths['/ingest']).toBeDefined();
  });
});
