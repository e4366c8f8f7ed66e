/**
 * IngestClient against a real collector (`createApi` on a loopback port over a temp-file DuckDB) and real faults:
 * the collector down (batches wait in the spool, a later client on the same spool sends them all), answers lost after
 * the collector stored the batch (a proxy that cuts the connection: the retry is a replay, rows stored once), a batch
 * refused for good, a spool folder that vanished (results kept and sealed again), and a spool file that is no batch (both kept in rejected/), and an invalid result refused when added.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createApi, IngestClient, listen, Store } from '@browser-pool/db-integration';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'bp-ingest-client-'));
const TOKEN = 'client-token-0123456789';
let store: Store;
let app: FastifyInstance | undefined;

const perf = (tag: string, i: number) => ({ model_name: `m-${tag}`, browser: 'chromium', backend: 'wasm', batch_size: 1, p50_latency_ms: 1 + i / 100, created_at: '2026-02-01T00:00:00Z' });
const stored = async (tag: string): Promise<number> =>
  (await store.one<{ n: number }>('SELECT count(*) AS n FROM performance_results JOIN models USING (model_id) WHERE model_name = ?', [`m-${tag}`]))?.n ?? 0;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function startCollector(port: number): Promise<string> {
  app = await createApi({ store, token: TOKEN, ingestMaxRows: 50 });
  return listen(app, TOKEN, { port });
}

beforeAll(async () => {
  store = await Store.open({ path: join(dir, 'collector.duckdb') });
});

afterAll(async () => {
  await app?.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IngestClient', () => {
  it('keeps batches in the spool while the collector is down; a later client sends them all, once', async () => {
    const port = await freePort();
    const spoolDir = join(dir, 'spool-down');
    const first = await IngestClient.open({ url: `http://127.0.0.1:${port}`, token: TOKEN, spoolDir, batchRows: 10, retryBaseMs: 20, retryMaxMs: 100, source: 'host-a' });
    for (let i = 0; i < 35; i++) {
      first.add('performance', perf('down', i));
    }
    const { pending } = await first.close(500);
    expect(pending).toBe(4); // 3 full batches + the sealed remainder of 5
    expect(first.stats.retries).toBeGreaterThan(0);
    expect(first.lastFailure).toMatch(/ECONNREFUSED|fetch failed/);
    expect(readdirSync(spoolDir).filter((n) => n.endsWith('.json'))).toHaveLength(4);

    await startCollector(port);
    const second = await IngestClient.open({ url: `http://127.0.0.1:${port}`, token: TOKEN, spoolDir, batchRows: 10 });
    await second.flush();
    expect(second.stats).toMatchObject({ batchesSent: 4, inserted: 35, rejected: 0 });
    expect((await second.close()).pending).toBe(0);
    expect(await stored('down')).toBe(35);
    const sources = await store.all<{ source: string; n: number }>("SELECT source, sum(rows)::INTEGER AS n FROM ingest_batches WHERE source = 'host-a' GROUP BY source");
    expect(sources).toEqual([{ source: 'host-a', n: 35 }]);
  });

  it('retries a batch whose answer was lost after it was stored: the retry is a replay, rows stored once', async () => {
    const target = new URL(app?.server.address() === null ? '' : `http://127.0.0.1:${(app?.server.address() as AddressInfo).port}`);
    let cut = 2;
    // a proxy that forwards each request but drops the connection instead of the first two answers
    const proxy: Server = createServer((req, res) => {
      const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        if (cut > 0) {
          cut--;
          answer.resume();
          answer.on('end', () => res.socket?.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const client = await IngestClient.open({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token: TOKEN, spoolDir: join(dir, 'spool-lost'), batchRows: 20, retryBaseMs: 20 });
    for (let i = 0; i < 20; i++) {
      client.add('performance', perf('lost', i));
    }
    await client.flush();
    await client.close();
    await new Promise((r) => proxy.close(r));
    expect(client.stats).toMatchObject({ batchesSent: 1, replays: 1, inserted: 20, retries: 2 }); // the replay answers what the first delivery stored
    expect(await stored('lost')).toBe(20);
  });

  it('keeps the results of a batch whose spool write failed and seals them again once the folder is back', async () => {
    const spoolDir = join(dir, 'spool-gone');
    const url = `http://127.0.0.1:${(app?.server.address() as AddressInfo).port}`;
    const client = await IngestClient.open({ url, token: TOKEN, spoolDir, batchRows: 10, flushIntervalMs: 50 });
    rmSync(spoolDir, { recursive: true }); // the folder disappears under the client: writes fail with ENOENT
    for (let i = 0; i < 10; i++) {
      client.add('performance', perf('gone', i));
    }
    await expect.poll(() => client.errors.length, { timeout: 5000 }).toBeGreaterThan(0);
    expect(client.errors[0]?.code).toBe('E_INGEST_SPOOL');
    mkdirSync(join(spoolDir, 'rejected'), { recursive: true });
    client.add('performance', perf('gone', 10));
    await client.flush();
    await client.close();
    expect(await stored('gone')).toBe(11);
  });

  it('moves a batch the collector refuses for good, and a spool file that is no batch, to rejected/ and reports them; refuses an invalid result when added', async () => {
    const spoolDir = join(dir, 'spool-rejected');
    mkdirSync(spoolDir, { recursive: true });
    writeFileSync(join(spoolDir, '000-not-a-batch.json'), '{"key": "x", "body": ');
    const url = `http://127.0.0.1:${(app?.server.address() as AddressInfo).port}`;
    const client = await IngestClient.open({ url, token: TOKEN, spoolDir, batchRows: 60 });
    expect(() => client.add('performance', { ...perf('rej', 0), batch_size: 0 })).toThrow(expect.objectContaining({ code: 'E_DB_INVALID_ARGUMENT' }) as Error);
    for (let i = 0; i < 60; i++) {
      client.add('performance', perf('rej', i));
    }
    await client.flush();
    await client.close();
    expect(client.stats.rejected).toBe(1);
    expect(client.errors.map((e) => e.code)).toEqual(['E_INGEST_SPOOL', 'E_INGEST_REJECTED']);
    expect(client.errors[1]?.message).toContain('E_BATCH_TOO_LARGE');
    expect(readdirSync(join(spoolDir, 'rejected'))).toHaveLength(4); // each file and the reason beside it
    expect(readdirSync(spoolDir).filter((n) => n.endsWith('.json'))).toEqual([]);
    expect(await stored('rej')).toBe(0);
  });
});
