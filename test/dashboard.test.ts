/**
 * The dashboard in real Chromium: served by its own loopback server over a snapshot of a temp-file DuckDB with known
 * rows, it loads duckdb-wasm from local files only (any request that leaves 127.0.0.1 fails the test), shows numbers
 * equal to the same SQL run in Node, filters, answers the SQL box, and keeps a screenshot under .cache/dashboard/.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { CHROMIUM_ARGS, findChromium } from '@browser-pool/browser-harness';
import { type DashboardServer, DEFAULT_PAGES_DIR, startDashboardServer } from '@browser-pool/dashboard';
import { loadCandidates, recommend, type Store, writeSnapshot } from '@browser-pool/db-integration';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dashboardDb, TRICKY_TEXT } from './fixtures/dashboard-db';

const dir = mkdtempSync(join(tmpdir(), 'bp-dashboard-'));
const shots = resolve(import.meta.dirname, '../.cache/dashboard');
let store: Store;
let server: DashboardServer;
let browser: Browser;
let page: Page;
const offHost: string[] = [];
const problems: string[] = [];

const LATENCY_SQL = (where: string): string => `SELECT count(*)::INTEGER AS windows, median(p50_ms) AS p50 FROM measurements
  WHERE p50_ms IS NOT NULL ${where} GROUP BY model_name, browser, backend, batch_size, is_real_hardware
  ORDER BY model_name, browser, backend, batch_size, is_real_hardware`;

const texts = async (testid: string): Promise<string[]> => (await page.getByTestId(testid).allTextContents()).map((s) => s.trim());

beforeAll(async () => {
  store = await dashboardDb(join(dir, 'bench.duckdb'));
  await writeSnapshot(store, join(dir, 'snapshot'));
  server = await startDashboardServer({ pagesDir: DEFAULT_PAGES_DIR, snapshotDir: join(dir, 'snapshot'), port: 0 });
  browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // Every request the page or its workers make: anything not on our loopback server is recorded and refused.
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== '127.0.0.1' && url.protocol !== 'blob:' && url.protocol !== 'data:') {
      offHost.push(url.href);
      await route.abort();
      return;
    }
    await route.continue();
  });
  context.on('request', (r) => {
    const url = new URL(r.url());
    if (url.hostname !== '127.0.0.1' && url.protocol !== 'blob:' && url.protocol !== 'data:') {
      offHost.push(url.href);
    }
  });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') {
      problems.push(m.text());
    }
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(server.url);
  await page.locator('#status[data-state="ready"], #status[data-state="error"]').waitFor({ timeout: 90_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard in Chromium', () => {
  it('loads the snapshot into duckdb-wasm with no request leaving 127.0.0.1 and no console error', async () => {
    expect(await page.locator('#status').getAttribute('data-state'), await page.locator('#status').textContent() ?? '').toBe('ready');
    expect(await page.locator('#status').textContent()).toMatch(/\d+ tables, \d+ rows/);
    expect(offHost).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('shows recommendations equal to the report analysis run in Node, software adapters labelled', async () => {
    const recs = recommend(await loadCandidates(store));
    const ordered = [...recs].sort((a, b) => Number(a.model !== undefined) - Number(b.model !== undefined) || a.modelType.localeCompare(b.modelType) || (a.model ?? '').localeCompare(b.model ?? ''));
    expect(await texts('rec-p50')).toEqual(ordered.map((r) => r.p50LatencyMs.toFixed(2)));
    expect(await page.locator('#recommendations .badge.real').count()).toBe(recs.filter((r) => r.isRealHardware).length);
    expect(await page.locator('#latency .badge.software').count()).toBeGreaterThan(0);
  });

  it('shows the compatibility matrix with the stored error on hover', async () => {
    const bad = await store.all<{ error_message: string }>('SELECT error_message FROM compatibility_matrix WHERE NOT is_compatible');
    const ok = (await store.one<{ n: number }>('SELECT count(*)::INTEGER AS n FROM compatibility_matrix WHERE is_compatible'))!.n;
    expect(await page.locator('[data-testid="compat-cell"][data-ok="false"]').count()).toBe(bad.length);
    expect(await page.locator('[data-testid="compat-cell"][data-ok="true"]').count()).toBe(ok);
    expect(await page.locator('[data-testid="compat-cell"][data-ok="false"]').first().getAttribute('title')).toBe(`E_BACKEND_UNAVAILABLE: ${TRICKY_TEXT}`);
  });

  it('shows latency windows and medians equal to SQL in Node, and a filter changes table and charts', async () => {
    const all = await store.all<{ windows: number; p50: number }>(LATENCY_SQL(''));
    expect(await texts('lat-windows')).toEqual(all.map((r) => String(r.windows)));
    expect(await texts('lat-p50')).toEqual(all.map((r) => r.p50.toFixed(2)));
    const seriesBefore = await page.getByTestId('series').count();
    expect(await page.getByTestId('regression-marker').count()).toBe(1);
    await page.getByTestId('filter-model').selectOption('bert-tiny');
    await page.locator('#status[data-state="ready"]').waitFor();
    await expect.poll(() => texts('lat-p50')).toEqual((await store.all<{ p50: number }>(LATENCY_SQL("AND model_name = 'bert-tiny'"))).map((r) => r.p50.toFixed(2)));
    expect(await page.getByTestId('series').count()).toBeLessThan(seriesBefore);
    expect(await page.getByTestId('regression-marker').count()).toBe(0);
    await page.getByTestId('filter-model').selectOption('');
    await expect.poll(() => page.getByTestId('regression-marker').count()).toBe(1);
  });

  it('lists views first in the schema and answers the SQL box; a write is rolled back', async () => {
    const first = await page.locator('[data-testid="schema"] summary').first().textContent();
    expect(first).toContain('measurements');
    const n = (await store.one<{ n: number }>('SELECT count(*)::INTEGER AS n FROM measurements'))!.n;
    await page.getByTestId('sql-input').fill('DELETE FROM models');
    await page.getByTestId('sql-run').click();
    await page.locator('[data-testid="sql-count"], [data-testid="sql-error"]').waitFor();
    await page.getByTestId('sql-input').fill("SELECT count(*) AS n, count(*) FILTER (WHERE source = 'benchmark') AS bench FROM measurements");
    await page.getByTestId('sql-run').click();
    await expect.poll(async () => (await page.locator('[data-testid="sql-table"] td').allTextContents()).join(',')).toBe(`${n},24`);
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(offHost).toEqual([]);
  });

  it('refuses a foreign Host header (DNS rebinding) and paths outside the dashboard', async () => {
    // node's fetch drops a caller's Host header, so this one goes out as raw HTTP
    const foreign = await new Promise<{ status: number; body: string }>((resolveGet, reject) => {
      get({ host: '127.0.0.1', port: server.port, path: '/', headers: { host: `evil.example:${server.port}` } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ error: { code: 'E_HOST_NOT_ALLOWED' } });
    expect((await fetch(`${server.url}snapshot/..%2F..%2Fbench.duckdb`)).status).toBe(404);
    expect((await fetch(`${server.url}package.json`)).status).toBe(404);
    const wasmFile = readdirSync(join(DEFAULT_PAGES_DIR, 'assets')).find((f) => f.endsWith('.wasm'));
    const wasm = await fetch(`${server.url}assets/${wasmFile}`, { method: 'HEAD' });
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
  });
});
