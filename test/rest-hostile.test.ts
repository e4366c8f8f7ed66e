/**
 * The REST API's boundary under hostile HTTP, on a real loopback port over a temp-file DuckDB: Host headers (DNS
 * rebinding), the /query answer byte cap, 1,000 seeded malformed requests (0 5xx, every 4xx naming field, problem
 * and what to send, rows stored only by the requests answered 201), integers beyond 2^31, the token checked before
 * the body, single-result bodies, deep JSON, a valid but absurd value that must not blind the regression scan, and
 * the limits in the OpenAPI document.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createApi, listen, scanRegressions, Store } from '@browser-pool/db-integration';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { seededRandom } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'bp-rest-hostile-'));
const TOKEN = 'hostile-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let store: Store;
let app: FastifyInstance;
let small: FastifyInstance;
let base: string;
let smallBase: string;
let port: number;

interface ErrorBody {
  error: { code: string; message: string; field?: string; problem?: string; expected?: string };
}

async function send(method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}, at = base) {
  const res = await fetch(at + path, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json: json as ErrorBody & Record<string, unknown>, text };
}

const perf = (over: Record<string, unknown> = {}) => ({ model_name: 'bert-tiny', browser: 'chromium', backend: 'wasm', batch_size: 1, p50_latency_ms: 4, created_at: '2026-02-01T00:00:00Z', ...over });
const rows = async (table: string) => (await store.one<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n ?? 0;

/** GET with an arbitrary Host header (fetch does not let a caller set it). */
function getWithHost(host: string | undefined, path = '/health'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (host !== undefined) {
      headers.host = host;
    }
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', headers, setHost: host !== undefined }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}


beforeAll(async () => {
  store = await Store.open({ path: join(dir, 'hostile.duckdb') });
  app = await createApi({ store, token: TOKEN, bodyLimit: 300_000, allowedHosts: ['bench.internal', 'other.internal:9'] });
  base = await listen(app, TOKEN, { port: 0 });
  port = Number(new URL(base).port);
  small = await createApi({ store, token: TOKEN, queryByteLimit: 50_000, queryRowLimit: 100_000 });
  smallBase = await listen(small, TOKEN, { port: 0 });
});

afterAll(async () => {
  await app.close();
  await small.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Host header (DNS rebinding)', () => {
  it('serves the bound address, loopback names with the port and configured names; refuses anything else with 403', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`, `bench.internal:${port}`, 'other.internal:9']) {
      expect((await getWithHost(host)).status, host).toBe(200);
    }
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `localhost.evil.example:${port}`, `bench.internal:${port + 1}`, `127.0.0.1:${port}@evil`, ' ', 'a b']) {
      const res = await getWithHost(host);
      expect(res.status, host).toBe(403);
      const body = JSON.parse(res.body) as ErrorBody;
      expect(body.error).toMatchObject({ code: 'E_HOST_NOT_ALLOWED', field: 'header.host' });
      expect(body.error.expected).toContain(`127.0.0.1:${port}`);
    }
  });

  it('refuses a request with no Host at all (raw HTTP/1.0 bytes)', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /health HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer.split('\r\n')[0]).toContain('403');
    expect(answer).toContain('E_HOST_NOT_ALLOWED');
  });
});

describe('writes: token first, one result or a batch, integers stored exactly or refused', () => {
  it('answers 401 to a write without the token whatever its body', async () => {
    const bodies: [string | Uint8Array, Record<string, string>][] = [
      [JSON.stringify({ results: [perf()] }), {}],
      ['{"results": [', {}],
      ['[' .repeat(50_000), {}],
      ['model=x', { 'content-type': 'application/x-www-form-urlencoded' }],
      [JSON.stringify({ results: Array.from({ length: 3000 }, () => perf()) }), {}], // over the body limit
      ['', {}],
      [new Uint8Array([0xff, 0xfe, 0x00, 0x7b]), {}],
    ];
    for (const [body, headers] of bodies) {
      for (const path of ['/performance', '/compatibility', '/integration', '/regressions/1/status']) {
        const res = await send('POST', path, body, headers);
        expect(res.status, `${path} ${String(body).slice(0, 30)}`).toBe(401);
        expect(res.json.error).toMatchObject({ code: 'E_UNAUTHORIZED', field: 'header.authorization' });
        expect(res.text).not.toContain('batch_size'); // nothing about the schema leaks before authentication
      }
    }
    expect(await rows('performance_results')).toBe(0);
  });

  it('accepts a single result as the old API posted it, and a batch', async () => {
    const one = await send('POST', '/performance', JSON.stringify(perf({ model_name: 'single' })), auth);
    expect([one.status, one.json]).toEqual([201, { inserted: 1, duplicates: 0 }]);
    const again = await send('POST', '/performance', JSON.stringify({ results: [perf({ model_name: 'single' }), perf({ model_name: 'batch' })] }), auth);
    expect(again.json).toEqual({ inserted: 1, duplicates: 1 });
    const compat = await send('POST', '/compatibility', JSON.stringify({ model_name: 'single', browser: 'firefox', backend: 'webnn', is_compatible: false, error_code: 'E_BACKEND_UNAVAILABLE' }), auth);
    expect(compat.json).toEqual({ inserted: 1, duplicates: 0 });
    const integ = await send('POST', '/integration', JSON.stringify({ test_module: 'legacy', test_name: 'one', status: 'pass' }), auth);
    expect(integ.json).toEqual({ inserted: 1, duplicates: 0 });
    // a single body's error names the field as the caller wrote it
    const bad = await send('POST', '/performance', JSON.stringify(perf({ batch_size: 0 })), auth);
    expect(bad.json.error).toMatchObject({ code: 'E_BAD_REQUEST', field: 'body.batch_size', expected: 'a number > 0' });
    const badBatch = await send('POST', '/performance', JSON.stringify({ results: [perf(), perf({ batch_size: 'two' })] }), auth);
    expect(badBatch.json.error).toMatchObject({ field: 'body.results.1.batch_size', problem: 'expected number, got "two"', expected: 'a number' });
  });

  it('stores large throughput and memory exactly as DOUBLE; refuses counts beyond INTEGER naming the field', async () => {
    const big = perf({ model_name: 'big', throughput_items_per_s: 3_000_000_000, memory_peak_mb: 5_000_000_123, mean_latency_ms: 2 ** 40, iterations: 2_147_483_647, warmup_iterations: 7 });
    expect((await send('POST', '/performance', JSON.stringify(big), auth)).status).toBe(201);
    const stored = await store.one(`SELECT r.throughput_items_per_s, r.memory_peak_mb, r.mean_latency_ms, r.iterations, r.warmup_iterations FROM performance_results r JOIN models m USING (model_id) WHERE m.model_name = 'big'`);
    expect(stored).toEqual({ throughput_items_per_s: 3_000_000_000, memory_peak_mb: 5_000_000_123, mean_latency_ms: 2 ** 40, iterations: 2_147_483_647, warmup_iterations: 7 });
    for (const [field, value] of [['iterations', 2 ** 31], ['warmup_iterations', 3e9], ['sequence_length', 2 ** 53 + 2], ['batch_size', 3e9], ['precision_bits', 2 ** 31]] as const) {
      const res = await send('POST', '/performance', JSON.stringify(perf({ [field]: value })), auth);
      expect(res.status, field).toBe(400);
      expect(res.json.error.field, field).toBe(`body.${field}`);
      expect(res.json.error.expected, field).toMatch(/^a number <= \d+$/);
    }
    const hugeDouble = await send('POST', '/performance', '{"model_name":"inf","browser":"chromium","backend":"wasm","batch_size":1,"p50_latency_ms":1e400}', auth);
    expect(hugeDouble.json.error).toMatchObject({ field: 'body.p50_latency_ms' });
  });

  it('limits depth and size of JSON fields and of the body', async () => {
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 9; i++) {
      deep = { d: deep };
    }
    const r1 = await send('POST', '/performance', JSON.stringify(perf({ metrics: deep })), auth);
    expect(r1.json.error).toMatchObject({ code: 'E_BAD_REQUEST', field: 'body.metrics', problem: 'nested deeper than 8 levels' });
    const wide = await send('POST', '/integration', JSON.stringify({ test_module: 'm', test_name: 'n', status: 'pass', metadata: { blob: 'x'.repeat(70_000) } }), auth);
    expect(wide.json.error).toMatchObject({ field: 'body.metadata', expected: 'an object of at most 65536 bytes as JSON' });
    const nested = `{"results":[${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}]}`;
    const r2 = await send('POST', '/performance', nested, auth);
    expect([r2.status, r2.json.error.field, r2.json.error.problem]).toEqual([400, 'body', 'JSON nested deeper than 32 levels']);
    const arr = await send('POST', '/query', `{"sql": ${'['.repeat(100_000)}}`, auth);
    expect(arr.status).toBe(400);
    expect((await send('GET', '/health')).status).toBe(200);
  });
});

describe('/query answer size', () => {
  it('refuses an answer over the byte cap with a 4xx that says how to narrow it', async () => {
    const wide = await send('POST', '/query', JSON.stringify({ sql: "SELECT repeat('x', 10000) AS s FROM range(50)" }), {}, smallBase);
    expect(wide.status).toBe(400);
    expect(wide.json.error).toMatchObject({ code: 'E_DB_RESULT_TOO_LARGE', field: 'body.sql' });
    expect(wide.json.error.message).toMatch(/passed 50000 bytes at row 5; narrow the query/);
    const cell = await send('POST', '/query', JSON.stringify({ sql: "SELECT repeat('y', 40000000) AS s" }), {}, smallBase);
    expect([cell.status, cell.json.error.code]).toEqual([400, 'E_DB_RESULT_TOO_LARGE']);
    const fits = await send('POST', '/query', JSON.stringify({ sql: "SELECT repeat('x', 1000) AS s FROM range(40)" }), {}, smallBase);
    expect(fits.status).toBe(200);
    expect((fits.json.rows as unknown[]).length).toBe(40);
  });
});

describe('a hostile value in a stored series', () => {
  it('one 1e308 ms result (finite and non-negative: accepted) does not hide a +30 % regression from the scan', async () => {
    const random = seededRandom(31);
    const start = Date.now() - 60 * 3_600_000;
    const results = Array.from({ length: 60 }, (_, i) => {
      const latency = i === 10 ? 1e308 : 10 * (i >= 40 ? 1.3 : 1) * (1 + 0.06 * (random() - 0.5));
      return perf({ model_name: 'absurd', p50_latency_ms: latency, created_at: new Date(start + i * 3_600_000).toISOString() });
    });
    expect((await send('POST', '/performance', JSON.stringify({ results }), auth)).json).toEqual({ inserted: 60, duplicates: 0 });
    await scanRegressions(store, { workers: 0 });
    const found = await store.all<{ kind: string; change_at: Date }>(
      `SELECT kind, change_at FROM performance_regression WHERE model_name = 'absurd' AND metric = 'latency' ORDER BY change_at`,
    );
    expect(found.map((f) => [f.kind, new Date(f.change_at).getTime()])).toEqual([['regression', new Date(results[40]!.created_at).getTime()]]);
  });
});

describe('1,000 seeded malformed requests', () => {
  it('get 4xx with field, problem and what to send, never 5xx; only 201 answers stored rows', async () => {
    const random = seededRandom(12);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const hostile: unknown[] = [null, -1, 0, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), '', 'x'.repeat(5000), '\u0000', '\uD800', true, [], {}, [1, [2, [3]]], { __proto__: { polluted: 1 } }, 'NaN', '2026-13-45T99:99:99Z', -0.000001];
    const fields = ['model_name', 'browser', 'backend', 'batch_size', 'p50_latency_ms', 'iterations', 'created_at', 'metrics', 'is_simulated', 'precision_bits', 'throughput_items_per_s', 'results'];
    const paths = ['/performance', '/compatibility', '/integration', '/query', '/regressions/1/status', '/regressions/x/status'];
    const gets = ['/performance?days=-1', '/performance?limit=1e9', '/performance?batch_size=abc', '/performance?zzz=1', '/integration?status=maybe', '/reports/performance?format=pdf', '/regressions?status=%00', '/performance/comparison/x?metric=%ff%fe', '/compatibility?model=', '/performance?days=1&days=2', '/%', '/reports/%2e%2e%2f'];
    type Req = { method: string; path: string; body?: string | Uint8Array; headers: Record<string, string> };
    const make = (): Req => {
      const headers = random() < 0.9 ? { ...auth } : {};
      const kind = Math.floor(random() * 10);
      const path = pick(paths);
      const valid = JSON.stringify({ results: [perf({ model_name: `fuzz-${Math.floor(random() * 5)}` })] });
      switch (kind) {
        case 0:
          return { method: 'POST', path, body: valid.slice(0, Math.floor(random() * (valid.length - 1))), headers };
        case 1: {
          const item: Record<string, unknown> = perf();
          item[pick(fields)] = pick(hostile);
          return { method: 'POST', path, body: JSON.stringify(random() < 0.5 ? item : { results: [item] }), headers };
        }
        case 2:
          return { method: 'POST', path, body: JSON.stringify({ results: [perf({ [`extra_${Math.floor(random() * 100)}`]: 1 })] }), headers };
        case 3: {
          const depth = 20 + Math.floor(random() * 3000);
          return { method: 'POST', path, body: JSON.stringify(perf({ metrics: JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown })), headers };
        }
        case 4:
          return { method: 'POST', path, body: 'a=1', headers: { ...headers, 'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) } };
        case 5:
          return { method: 'GET', path: pick(gets), headers };
        case 6:
          return { method: 'POST', path: '/query', body: JSON.stringify({ sql: pick(hostile), limit: pick(hostile) }), headers };
        case 7:
          return { method: 'POST', path, body: JSON.stringify(pick<unknown>([[], 1, 'str', null, [perf()], { results: {} }, { results: [null] }, { constructor: { prototype: { x: 1 } } }])), headers };
        case 8:
          return { method: 'POST', path, body: new Uint8Array(Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256))), headers };
        default:
          return { method: 'POST', path, body: JSON.stringify({ results: Array.from({ length: 1 + Math.floor(random() * 3) }, () => perf({ [pick(fields)]: pick(hostile) })) }), headers };
      }
    };
    const requests = Array.from({ length: 1000 }, make);
    const before = await rows('performance_results') + await rows('hardware_compatibility') + await rows('integration_test_results');
    const statuses = new Map<number, number>();
    let insertedBy201 = 0;
    const bad: string[] = [];
    for (let i = 0; i < requests.length; i += 10) {
      const answers = await Promise.all(requests.slice(i, i + 10).map((r) => send(r.method, r.path, r.body, r.headers)));
      answers.forEach((a, k) => {
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status === 201) {
          insertedBy201 += Number(a.json.inserted);
        } else if (a.status >= 400 && a.status < 500) {
          const e = a.json?.error;
          if (e === undefined || !e.code || !e.field || !e.problem || !e.expected) {
            bad.push(`${a.status} ${requests[i + k]?.path}: ${a.text.slice(0, 200)}`);
          }
        }
      });
    }
    expect(statuses.get(400)).toBeGreaterThan(800); // the seed reaches validation, not only the token check
    const fiveHundreds = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    expect(Object.fromEntries(statuses), 'no 5xx').not.toHaveProperty('500');
    expect(fiveHundreds).toBe(0);
    expect(bad).toEqual([]);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    const after = await rows('performance_results') + await rows('hardware_compatibility') + await rows('integration_test_results');
    expect(after - before).toBe(insertedBy201);
    expect((await send('GET', '/health')).status).toBe(200);
  });
});

describe('OpenAPI states the limits', () => {
  it('lists body, batch, depth, integer and /query limits', async () => {
    const doc = (await send('GET', '/openapi.json')).json as unknown as { info: { 'x-limits': Record<string, number>; description: string }; paths: Record<string, { post?: { description?: string } }> };
    expect(doc.info['x-limits']).toEqual({
      bodyBytes: 300_000, batchResults: 10_000, ingestBatchResults: 5_000, bodyJsonDepth: 32, jsonFieldDepth: 8, jsonFieldBytes: 65_536, integerColumnsMax: 2_147_483_647,
      queryRows: 10_000, queryAnswerBytes: 32 * 1024 * 1024, queryTimeoutMs: 10_000, sqlChars: 100_000,
    });
    expect(doc.info.description).toContain('bodyBytes 300000');
    expect(doc.paths['/query']?.post?.description).toContain('33554432 bytes');
    expect(doc.paths['/performance']?.post?.description).toContain('64 KiB');
  });
});
