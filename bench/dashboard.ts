/**
 * `npm run bench -- --suite dashboard`: the dashboard over a 1M-row database. Time to first view (snapshot tables
 * loaded into duckdb-wasm, every view queried and drawn) and a filter change in Chromium, beside the same work in
 * Node's DuckDB: the same load (the snapshot's DuckDB file attached and copied, derived CSVs with the manifest's types,
 * views), then exactly the statements the page ran (read back from its User Timing measures). duckdb-wasm's eh build runs on one thread; Node's DuckDB uses its
 * default (every core).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CHROMIUM_ARGS, findChromium } from '@browser-pool/browser-harness';
import { DEFAULT_PAGES_DIR, startDashboardServer } from '@browser-pool/dashboard';
import { type SnapshotManifest, Store, writeSnapshot } from '@browser-pool/db-integration';
import { DuckDBInstance } from '@duckdb/node-api';
import { chromium, type Page } from 'playwright-core';

import { formatTable } from './table';

interface Ctx {
  quick: boolean;
  record: (key: string, value: unknown) => void;
}

interface Measure { name: string; ms: number; sql: string | undefined }

/** `series` x 1000 pool windows over 20 days: 8 series per model (2 browsers x 2 backends x 2 batch sizes), a +30 % step in every 10th. */
async function bigDb(path: string, series: number): Promise<Store> {
  const store = await Store.open({ path });
  await store.run(`
    INSERT INTO time_series_performance (id, recorded_at, window_start, run_id, model_name, model_type, browser, requested_backend, backend, batch_size,
      samples, mean_ms, p50_ms, p90_ms, p99_ms, stdev_ms, compute_p50_ms, throughput, is_real_hardware, is_simulated, git_commit)
    SELECT row_number() OVER (), ts, ts, 1, 'model-' || (s // 8), ['vision', 'audio', 'text_embedding'][1 + s % 3], ['chromium', 'firefox'][1 + s % 2],
           ['wasm', 'webgpu'][1 + (s // 2) % 2], ['wasm', 'webgpu'][1 + (s // 2) % 2], [1, 4][1 + (s // 4) % 2],
           100, lat, lat, lat * 1.2, lat * 1.5, lat * 0.05, lat * 0.8, 1000 / lat, true, false, 'bench'
    FROM (SELECT s, (now() - INTERVAL 20 DAY + to_milliseconds((p * 1728)::BIGINT))::TIMESTAMP AS ts,
                 (5 + s % 20) * (1 + 0.1 * (random() - 0.5)) * (CASE WHEN s % 10 = 0 AND p >= 700 THEN 1.3 ELSE 1 END) AS lat
          FROM range(${series}) t1(s) CROSS JOIN range(1000) t2(p))`);
  return store;
}

async function measures(page: Page): Promise<Measure[]> {
  return page.evaluate(() => performance.getEntriesByType('measure').map((m) => {
    const detail = (m as unknown as { detail?: unknown }).detail;
    return { name: m.name, ms: m.duration, sql: typeof detail === 'string' ? detail : undefined };
  }));
}

/** The page's load step in Node: the same copies out of the snapshot's DuckDB file and CSV reads, then the views. */
async function nodeLoad(snapshot: string, manifest: SnapshotManifest): Promise<{ ms: number; run: (sql: string) => Promise<number>; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const str = (s: string): string => `'${s.replaceAll("'", "''")}'`;
  const t0 = performance.now();
  const databases = [...new Set(manifest.tables.filter((t) => t.format === 'duckdb').map((t) => t.file))];
  for (const [i, file] of databases.entries()) {
    await conn.run(`ATTACH ${str(join(snapshot, file))} AS snapshot_${i} (READ_ONLY)`);
  }
  for (const t of manifest.tables) {
    const columns = t.columns.map((c) => `${str(c.name)}: ${str(c.type)}`).join(', ');
    await conn.run(t.format === 'duckdb'
      ? `CREATE TABLE "${t.name}" AS SELECT * FROM snapshot_${databases.indexOf(t.file)}."${t.name}"`
      : `CREATE TABLE "${t.name}" AS SELECT * FROM read_csv(${str(join(snapshot, t.file))}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {${columns}})`);
  }
  for (const v of manifest.views) {
    await conn.run(v.sql);
  }
  const ms = performance.now() - t0;
  return {
    ms,
    run: async (sql) => {
      const start = performance.now();
      (await conn.runAndReadAll(sql)).getRowObjectsJS();
      return performance.now() - start;
    },
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

export async function dashboardBench(ctx: Ctx): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bp-bench-dashboard-'));
  const seriesCount = ctx.quick ? 100 : 1000;
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  try {
    let t0 = performance.now();
    const store = await bigDb(join(dir, 'big.duckdb'), seriesCount);
    const buildS = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const manifest = await writeSnapshot(store, join(dir, 'snapshot'));
    const snapshotS = (performance.now() - t0) / 1000;
    store.close();
    const rows = manifest.tables.reduce((a, t) => a + t.rows, 0);
    const server = await startDashboardServer({ pagesDir: DEFAULT_PAGES_DIR, snapshotDir: join(dir, 'snapshot'), port: 0 });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      t0 = performance.now();
      await page.goto(server.url);
      await page.locator('#status[data-state="ready"], #status[data-state="error"]').waitFor({ timeout: 600_000 });
      const wallFirstView = performance.now() - t0;
      if (await page.locator('#status').getAttribute('data-state') === 'error') {
        throw new Error(`dashboard failed: ${await page.locator('#status').textContent()}`);
      }
      const first = await measures(page);
      const model = 'model-3';
      await page.evaluate(() => performance.clearMeasures());
      t0 = performance.now();
      await page.getByTestId('filter-model').selectOption(model);
      await page.waitForFunction(() => performance.getEntriesByName('filter').length > 0, undefined, { timeout: 600_000 });
      const wallFilter = performance.now() - t0;
      const filter = await measures(page);
      await page.close();

      const browserLoad = first.find((m) => m.name === 'snapshot-load')!.ms;
      const browserFirst = first.find((m) => m.name === 'first-view')!.ms;
      const browserFilter = filter.find((m) => m.name === 'filter')!.ms;
      const firstSql = first.filter((m) => m.sql !== undefined);
      const filterSql = filter.filter((m) => m.sql !== undefined);

      const node = await nodeLoad(join(dir, 'snapshot'), JSON.parse(readFileSync(join(dir, 'snapshot', 'manifest.json'), 'utf8')) as SnapshotManifest);
      let nodeFirstSql = 0;
      for (const m of firstSql) {
        nodeFirstSql += await node.run(m.sql!);
      }
      let nodeFilterSql = 0;
      for (const m of filterSql) {
        nodeFilterSql += await node.run(m.sql!);
      }
      node.close();

      const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}x`;
      const ms = (v: number): string => v.toFixed(0);
      console.log(`\n## Dashboard over ${rows} snapshot rows (${seriesCount} series x 1000 windows; database built in ${buildS.toFixed(1)} s, snapshot written in ${snapshotS.toFixed(1)} s)`);
      console.log(formatTable(
        ['step', 'Chromium duckdb-wasm ms', 'Node DuckDB ms', 'ratio'],
        [
          ['load snapshot (DuckDB file + CSVs) into tables + views', ms(browserLoad), ms(node.ms), ratio(browserLoad, node.ms)],
          [`first-view queries (${firstSql.length} statements; page: with drawing)`, ms(browserFirst - browserLoad), ms(nodeFirstSql), ratio(browserFirst - browserLoad, nodeFirstSql)],
          ['time to first view (load + queries)', ms(browserFirst), ms(node.ms + nodeFirstSql), ratio(browserFirst, node.ms + nodeFirstSql)],
          [`filter change, model = ${model} (${filterSql.length} statements; page: with drawing)`, ms(browserFilter), ms(nodeFilterSql), ratio(browserFilter, nodeFilterSql)],
        ],
      ));
      console.log(`wall clock from navigation to ready: ${ms(wallFirstView)} ms (page, worker and wasm start included); filter: ${ms(wallFilter)} ms`);
      ctx.record('dashboard', { rows, seriesCount, buildS, snapshotS, browserLoad, nodeLoad: node.ms, nodeFirstSql, browserFirst, nodeFilterSql, browserFilter, wallFirstView, wallFilter,
        slowest: [...firstSql].sort((a, b) => b.ms - a.ms).slice(0, 3).map((m) => ({ ms: m.ms, sql: m.sql!.slice(0, 120) })) });
    } finally {
      await server.close();
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
