/**
 * The dashboard end to end: its own loopback server over a snapshot of a temp-file DuckDB with known rows
 * (test/fixtures/dashboard-db.ts), duckdb-wasm loaded from local files only (a request that leaves 127.0.0.1 is
 * refused and fails the run), numbers equal to the same SQL and the same analyses run in Node, filters that change
 * the charts and the table, findings with the runs before and after, the SQL box, no console error, and
 * full-page screenshots in light and dark kept under .cache/playwright/screenshots/.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { type DashboardServer, DEFAULT_PAGES_DIR, startDashboardServer } from '@browser-pool/dashboard';
import { loadCandidates, recommend, renderReport, type Store, writeSnapshot } from '@browser-pool/db-integration';
import { type BrowserContext, expect, type Page, test } from '@playwright/test';

import { PLAYWRIGHT_FIREFOX } from '../playwright.config';
import { dashboardDb, TRICKY_TEXT } from '../test/fixtures/dashboard-db';

const SHOTS = resolve(import.meta.dirname, '../.cache/playwright/screenshots');

test.describe.configure({ mode: 'serial' });

let dir: string;
let store: Store;
let server: DashboardServer;
let context: BrowserContext;
let page: Page;
const offHost: string[] = [];
const problems: string[] = [];

const texts = async (testid: string): Promise<string[]> => (await page.getByTestId(testid).allTextContents()).map((s) => s.trim());
const ready = (): Promise<void> => page.locator('#status[data-state="ready"], #status[data-state="error"]').waitFor({ timeout: 90_000 });

const LATENCY_SQL = (where: string): string => `SELECT count(*)::INTEGER AS windows, median(p50_ms) AS p50 FROM measurements
  WHERE p50_ms IS NOT NULL ${where} GROUP BY model_name, browser, backend, batch_size, is_real_hardware
  ORDER BY model_name, browser, backend, batch_size, is_real_hardware`;

test.skip(({ browserName }) => browserName === 'firefox' && PLAYWRIGHT_FIREFOX === undefined,
  'Playwright drives only its own patched Firefox build, which is not installed here (the system firefox-esr is driven over WebDriver BiDi by browser-harness, not by Playwright)');

test.beforeAll(async ({ browser }) => {
  dir = mkdtempSync(join(tmpdir(), 'bp-dashboard-e2e-'));
  store = await dashboardDb(join(dir, 'bench.duckdb'));
  await writeSnapshot(store, join(dir, 'snapshot'));
  server = await startDashboardServer({ pagesDir: DEFAULT_PAGES_DIR, snapshotDir: join(dir, 'snapshot'), port: 0 });
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
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
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') {
      problems.push(m.text());
    }
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(server.url);
  await ready();
});

test.afterAll(async () => {
  await context?.close();
  await server?.close();
  store?.close();
  if (dir !== undefined) {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loads the snapshot into duckdb-wasm with no request leaving 127.0.0.1 and no console error', async () => {
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('#status')).toHaveText(/\d+ tables, \d+ rows/);
  expect(offHost).toEqual([]);
  expect(problems).toEqual([]);
});

test('recommendations equal the report analysis in Node, each with what bounds it', async () => {
  const recs = recommend(await loadCandidates(store));
  const ordered = [...recs].sort((a, b) => Number(a.model !== undefined) - Number(b.model !== undefined) || a.modelType.localeCompare(b.modelType) || (a.model ?? '').localeCompare(b.model ?? ''));
  expect(await texts('rec-p50')).toEqual(ordered.map((r) => r.p50LatencyMs.toFixed(2)));
  await expect(page.locator('#recommendations .badge.real')).toHaveCount(recs.filter((r) => r.isRealHardware).length);
  // the same lines `report recommendations --format json` prints as boundBy, in the same order
  const report = JSON.parse(await renderReport(store, 'recommendations', 'json')) as { model?: string; modelType: string; boundBy: string[] }[];
  const byRec = new Map(report.map((r) => [`${r.modelType}|${r.model ?? ''}`, r.boundBy]));
  const shown = await Promise.all((await page.getByTestId('rec-bound').all()).map((td) => td.locator('.caveat').allTextContents()));
  expect(shown).toEqual(ordered.map((r) => byRec.get(`${r.modelType}|${r.model ?? ''}`)));
  const bert = ordered.findIndex((r) => r.model === 'bert-tiny');
  expect(shown[bert]!.join('\n')).toMatch(/firefox\/webgpu: p50 100\.1 ms for every model and batch size .*100 ms timer/);
  expect(shown[bert]!.join('\n')).toContain('chromium/webgpu: ran on a software adapter');
});

test('compatibility matrix shows the stored error on hover', async () => {
  const bad = await store.all<{ error_message: string }>('SELECT error_message FROM compatibility_matrix WHERE NOT is_compatible');
  await expect(page.locator('[data-testid="compat-cell"][data-ok="false"]')).toHaveCount(bad.length);
  await expect(page.locator('[data-testid="compat-cell"][data-ok="false"]').first()).toHaveAttribute('title', `E_BACKEND_UNAVAILABLE: ${TRICKY_TEXT}`);
});

test('latency equals SQL in Node; model, batch and flag filters change the table and the charts', async () => {
  const all = await store.all<{ windows: number; p50: number }>(LATENCY_SQL(''));
  expect(await texts('lat-windows')).toEqual(all.map((r) => String(r.windows)));
  expect(await texts('lat-p50')).toEqual(all.map((r) => r.p50.toFixed(2)));
  await expect(page.locator('#latency svg circle')).toHaveCount(all.length);
  expect(await texts('lat-bound')).toContain('timer');
  const seriesBefore = await page.getByTestId('series').count();

  await page.getByTestId('filter-model').selectOption('bert-tiny');
  await ready();
  const bert = await store.all<{ windows: number; p50: number }>(LATENCY_SQL("AND model_name = 'bert-tiny'"));
  await expect.poll(() => texts('lat-p50')).toEqual(bert.map((r) => r.p50.toFixed(2)));
  await expect(page.locator('#latency svg circle')).toHaveCount(bert.length);
  expect(await page.getByTestId('series').count()).toBeLessThan(seriesBefore);
  await expect(page.getByTestId('finding-marker')).toHaveCount(0);

  await page.getByTestId('filter-batch').selectOption('1');
  await page.getByTestId('filter-precompile_shaders').selectOption('on');
  await ready();
  const on = await store.all<{ windows: number; p50: number }>(LATENCY_SQL("AND model_name = 'bert-tiny' AND batch_size = 1 AND precompile_shaders"));
  expect(on).toHaveLength(1);
  await expect.poll(() => texts('lat-windows')).toEqual(['5']);
  expect(await texts('lat-p50')).toEqual([on[0]!.p50.toFixed(2)]);
  await expect(page.locator('#latency svg circle')).toHaveCount(1);

  for (const [id, value] of [['filter-model', ''], ['filter-batch', ''], ['filter-precompile_shaders', '']]) {
    await page.getByTestId(id!).selectOption(value!);
  }
  await ready();
  await expect.poll(() => texts('lat-p50')).toEqual(all.map((r) => r.p50.toFixed(2)));
});

test('time series marks regression, drift and environment changes; a click lists the runs before and after', async () => {
  const marks = page.getByTestId('finding-marker');
  await expect(marks).toHaveCount(4);
  // one uPlot canvas per series drawn, the marks laid over it
  await expect(page.locator('#timeseries .timechart canvas')).toHaveCount(await page.getByTestId('series').count());
  await expect(page.locator('#timeseries .timechart .u-over [data-testid="finding-marker"]')).toHaveCount(4);
  expect((await Promise.all((await marks.all()).map((m) => m.getAttribute('data-kind')))).sort()).toEqual(['backend_fallback', 'browser_version', 'drift', 'regression']);
  await page.locator('[data-testid="finding-marker"][data-kind="regression"]').click();
  const around = await store.all<{ p50: number }>(`SELECT p50_ms AS p50 FROM (
      (SELECT recorded_at, p50_ms FROM time_series_performance WHERE recorded_at < (SELECT change_at FROM performance_regression WHERE id = 1) ORDER BY recorded_at DESC LIMIT 10)
      UNION ALL (SELECT recorded_at, p50_ms FROM time_series_performance WHERE recorded_at >= (SELECT change_at FROM performance_regression WHERE id = 1) ORDER BY recorded_at LIMIT 10))
    ORDER BY recorded_at`);
  expect(around.length).toBeGreaterThanOrEqual(19); // 10 before, 9 or 10 after (the fixture's now() moves between statements)
  await expect(page.locator('[data-testid="finding-runs"] tbody tr')).toHaveCount(around.length);
  expect(await texts('around-p50')).toEqual(around.map((r) => r.p50.toFixed(2)));
  expect(await page.locator('[data-testid="finding-runs"] td[data-side="before"]').count()).toBe(10);
  await page.locator('[data-testid="finding-marker"][data-kind="browser_version"]').click();
  await expect(page.getByTestId('finding-detail').locator('h3')).toHaveText(/browser version 155\.0 → 156\.0/);
  const sides = await page.locator('[data-testid="finding-runs"] tbody td:nth-child(1)').allTextContents();
  const versions = await page.locator('[data-testid="finding-runs"] tbody td:nth-child(6)').allTextContents();
  expect(new Set(sides.map((side, i) => `${side}:${versions[i]}`))).toEqual(new Set(['before:155.0', 'after:156.0']));
});

test('optimization-flag effects equal `report optimization` (ratio and 95 % interval)', async () => {
  const impact = JSON.parse(await renderReport(store, 'optimization', 'json')) as { ratio: number; interval: [number, number]; metric: string }[];
  expect(impact.length).toBeGreaterThan(0);
  expect(await texts('impact-ratio')).toEqual(impact.map((i) => i.ratio.toFixed(3)));
  expect(await texts('impact-interval')).toEqual(impact.map((i) => `${i.interval[0].toFixed(3)} – ${i.interval[1].toFixed(3)}`));
  await expect(page.getByTestId('impact-chart').locator('circle')).toHaveCount(impact.length);
});

test('the SQL box answers next to the schema (views first); a write is rolled back', async () => {
  await expect(page.locator('[data-testid="schema"] summary').first()).toContainText('measurements');
  const n = (await store.one<{ n: number; bench: number }>("SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE source = 'benchmark')::INTEGER AS bench FROM measurements"))!;
  await page.getByTestId('sql-input').fill('DELETE FROM models');
  await page.getByTestId('sql-run').click();
  await page.locator('[data-testid="sql-count"], [data-testid="sql-error"]').waitFor();
  await page.getByTestId('sql-input').fill("SELECT count(*) AS n, count(*) FILTER (WHERE source = 'benchmark') AS bench FROM measurements");
  await page.getByTestId('sql-run').click();
  await expect.poll(async () => (await page.locator('[data-testid="sql-table"] td').allTextContents()).join(',')).toBe(`${n.n},${n.bench}`);
});

test('full-page screenshots in light and dark, still no console error and no request off 127.0.0.1', async () => {
  mkdirSync(SHOTS, { recursive: true });
  await page.locator('[data-testid="finding-marker"][data-kind="regression"]').click();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(SHOTS, `dashboard-${scheme}.png`), fullPage: true });
  }
  // the charts follow the window: one column at 700 px, each canvas as wide as its figure (ResizeObserver)
  const chartWidth = async (): Promise<number> => (await page.locator('#timeseries .timechart canvas').first().boundingBox())?.width ?? 0;
  const figureWidth = async (): Promise<number> => (await page.getByTestId('series').first().boundingBox())?.width ?? 0;
  const wide = await chartWidth();
  expect(Math.abs(wide - await figureWidth())).toBeLessThanOrEqual(2);
  await page.setViewportSize({ width: 700, height: 900 });
  await expect.poll(chartWidth).toBeGreaterThan(wide);
  expect(Math.abs(await chartWidth() - await figureWidth())).toBeLessThanOrEqual(2);
  expect(await chartWidth()).toBeLessThanOrEqual(700);
  await page.locator('[data-testid="finding-marker"][data-kind="regression"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, 'dashboard-narrow.png'), fullPage: false });
  expect(problems).toEqual([]);
  expect(offHost).toEqual([]);
});

test('the server refuses a foreign Host header (DNS rebinding) and paths outside the dashboard', async () => {
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
  expect((await fetch(`${server.url}assets/${wasmFile}`, { method: 'HEAD' })).headers.get('content-type')).toBe('application/wasm');
});
