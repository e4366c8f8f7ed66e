/**
 * A real pool (Chromium, real inference) recording into a temp-file DuckDB: every table the recorder owns gets
 * rows with the measured values, reports carry the stored figures, the HTML report renders in Chromium without
 * console errors, and a second pool routes from that history.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { renderInChromium } from '@browser-pool/browser-harness';
import { createPool } from '@browser-pool/cli';
import { median, Store } from '@browser-pool/db-integration';
import type { ResourcePool } from '@browser-pool/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'bp-recorder-'));
const dbPath = join(dir, 'bench.duckdb');
const RUNS = 40;
let store: Store;

const poolOptions = { browsers: ['chromium' as const], health: { knownAnswerIntervalMs: 0 }, db: { flushIntervalMs: 100, metricsIntervalMs: 150 } };

beforeAll(async () => {
  const pool = await createPool({ ...poolOptions, dbPath });
  try {
    await pool.initialize();
    for (const [type, name, backends] of [
      ['text_embedding', 'bert-tiny', ['wasm']],
      ['vision', 'vit-tiny', ['webnn', 'wasm']], // WebNN refuses here: recorded as a failed backend, wasm runs
    ] as const) {
      const model = await pool.getModel(type, name, { backends: [...backends] });
      const inputs = pool.options.catalogue.get(name).sampleInputs();
      for (let i = 0; i < RUNS; i++) {
        await model.run(inputs);
      }
    }
    await expect(pool.getModel('audio', 'audio-encoder-tiny', { backends: ['webnn'] })).rejects.toMatchObject({ code: 'E_BACKEND_UNAVAILABLE' });
    const bert = await pool.getModel('text_embedding', 'bert-tiny', { backends: ['wasm'] });
    await expect(bert.run({})).rejects.toMatchObject({ code: 'E_INVALID_INPUT' });
    await new Promise((r) => setTimeout(r, 400)); // at least one pool snapshot
  } finally {
    await pool.close();
  }
  store = await Store.open({ path: dbPath });
}, 180_000);

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = async (sql: string): Promise<number> => (await store.one<{ n: number }>(sql))!.n;

describe('recorder on a real pool run', () => {
  it('writes connections, inferences, snapshots, models, hardware, compatibility, availability and the run', async () => {
    expect(await store.all("SELECT event, browser FROM browser_connections ORDER BY id")).toEqual([
      { event: 'up', browser: 'chromium' },
      { event: 'down', browser: 'chromium' },
    ]);
    expect(await store.one('SELECT expected FROM browser_connections WHERE event = ?', ['down'])).toEqual({ expected: true });
    expect(await count("SELECT count(*) AS n FROM webnn_webgpu_performance WHERE success AND model_name = 'bert-tiny'")).toBe(RUNS);
    expect(await count("SELECT count(*) AS n FROM webnn_webgpu_performance WHERE success AND model_name = 'vit-tiny' AND requested_backend = 'webnn' AND backend = 'wasm'")).toBe(RUNS);
    expect(await store.all('SELECT model_name, error_code, success FROM webnn_webgpu_performance WHERE NOT success')).toEqual([
      { model_name: 'bert-tiny', error_code: 'E_INVALID_INPUT', success: false },
    ]);
    expect(await count('SELECT count(*) AS n FROM resource_pool_metrics WHERE connections = 1')).toBeGreaterThanOrEqual(1);
    expect((await store.all('SELECT model_name FROM models ORDER BY 1')).map((r) => r.model_name)).toEqual(['audio-encoder-tiny', 'bert-tiny', 'vit-tiny']);
    expect(await store.all('SELECT test_type, success FROM test_runs')).toEqual([{ test_type: 'pool', success: true }]);
    // WebGPU on this machine is SwiftShader: logged as available but not real hardware, with the reason.
    const gpu = await store.one<{ available: boolean; is_real_hardware: boolean; reason: string }>(
      "SELECT available, is_real_hardware, reason FROM hardware_availability_log WHERE backend = 'webgpu'",
    );
    expect(gpu?.available).toBe(true);
    expect(gpu?.is_real_hardware).toBe(false);
    expect(gpu?.reason).toMatch(/swiftshader|software|fallback/i);
    expect(await count("SELECT count(*) AS n FROM hardware_availability_log WHERE backend LIKE 'webnn-%' AND NOT available")).toBe(3);
    expect(await store.all('SELECT model_name, browser, backend, is_compatible FROM compatibility_matrix ORDER BY 1, 3')).toEqual([
      { model_name: 'audio-encoder-tiny', browser: 'chromium', backend: 'webnn', is_compatible: false },
      { model_name: 'bert-tiny', browser: 'chromium', backend: 'wasm', is_compatible: true },
      { model_name: 'vit-tiny', browser: 'chromium', backend: 'wasm', is_compatible: true },
      { model_name: 'vit-tiny', browser: 'chromium', backend: 'webnn', is_compatible: false },
    ]);
  });

  it('aggregates the time series from exactly the raw samples (first run kept apart)', async () => {
    const raw = await store.all<{ e: number }>(
      "SELECT end_to_end_ms AS e FROM webnn_webgpu_performance WHERE success AND model_name = 'bert-tiny' AND NOT first_run",
    );
    const series = await store.one<{ samples: number; p50_ms: number; first_run_ms: number; git_commit: string | null; is_real_hardware: boolean }>(
      "SELECT samples, p50_ms, first_run_ms, git_commit, is_real_hardware FROM time_series_performance WHERE model_name = 'bert-tiny'",
    );
    expect(series?.samples).toBe(raw.length);
    expect(raw.length).toBe(RUNS - 1);
    expect(series?.p50_ms).toBeCloseTo(median(raw.map((r) => r.e)), 9);
    expect(series?.first_run_ms).toBeGreaterThan(0);
    expect(series?.is_real_hardware).toBe(true); // wasm on the CPU
    expect(series?.git_commit).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('a pool started on that history', () => {
  let pool: ResourcePool;
  beforeAll(async () => {
    store.close();
    pool = await createPool({ ...poolOptions, dbPath, db: { ...poolOptions.db, scanOnClose: false } });
    await pool.initialize();
  }, 120_000);
  afterAll(async () => {
    await pool.close();
    store = await Store.open({ path: dbPath });
  });

  it('routes from stored history and says so; thin history falls back to the static affinity', async () => {
    const model = await pool.getModel('text_embedding', 'bert-tiny'); // default backends: webgpu first
    expect(model.placement.routing.source).toBe('history');
    expect(model.placement.routing.reason).toContain('chromium/wasm');
    expect(model.placement.backend).toBe('wasm');
    const unknown = await pool.getModel('audio', 'silero-vad', { backends: ['wasm'] });
    expect(unknown.placement.routing).toMatchObject({ source: 'static' });
    expect(unknown.placement.routing.reason).toContain('too thin');
  });

  it('answers report, recommendation and visualization calls with the stored figures', async () => {
    const recs = await pool.getBrowserRecommendations();
    const bert = recs.find((r) => r.model === 'bert-tiny')!;
    expect(bert).toMatchObject({ browser: 'chromium', backend: 'wasm', samples: RUNS - 1, isRealHardware: true });

    const md = await pool.getPerformanceReport({ format: 'markdown', model: 'bert-tiny' });
    expect(md).toContain('| bert-tiny | text_embedding | chromium | wasm | 1 | 39 |');
    expect(md).toContain(bert.p50LatencyMs.toFixed(2));
    expect(md).not.toContain('vit-tiny | vision'); // filtered by model

    const json = JSON.parse(await pool.getPerformanceReport({ format: 'json' })) as { performance: { model: string; samples: number }[] };
    expect(json.performance.map((p) => [p.model, p.samples]).sort()).toEqual([
      ['bert-tiny', RUNS - 1],
      ['vit-tiny', RUNS - 1],
    ]);
    const csv = await pool.getPerformanceReport({ format: 'csv' });
    expect(csv.split('\n')[0]).toBe('model,type,browser,backend,batch,samples,p50 ms,p90 ms,p99 ms,items/s,init ms,first run ms,memory MiB,real hardware');
    await expect(pool.getPerformanceReport({ format: 'pdf' as never })).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT' });
    await expect(pool.getPerformanceReport({ days: -1 })).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT' });

    const svgPath = await pool.createPerformanceVisualization({ outputFile: join(dir, 'latency.svg'), metrics: ['latency'] });
    expect(readFileSync(svgPath, 'utf8')).toContain('Latency (p50) over time');
    const png = readFileSync(await pool.createPerformanceVisualization({ outputFile: join(dir, 'charts.png') }));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('renders the HTML report in Chromium without console errors, recommendations first', async () => {
    const html = await pool.getPerformanceReport({ format: 'html' });
    expect(html.indexOf('Browser recommendations')).toBeLessThan(html.indexOf('<svg'));
    expect(html).not.toMatch(/<script|src="http|href="http/);
    const { problems, png } = await renderInChromium(html, { width: 1280, height: 800 });
    expect(problems).toEqual([]);
    expect(png.length).toBeGreaterThan(10_000);
  });
});

describe('routingHistory: false', () => {
  it('ignores stored history and uses the static affinity', async () => {
    store.close();
    const pool = await createPool({ ...poolOptions, dbPath, routingHistory: false, db: { ...poolOptions.db, scanOnClose: false } });
    try {
      const model = await pool.getModel('text_embedding', 'bert-tiny'); // history says wasm; static order says webgpu first
      expect(model.placement.routing).toEqual({ source: 'static', reason: 'static browser affinity (no database history in use)' });
      expect(model.placement.requestedBackends).toEqual(['webgpu', 'wasm']);
      expect(model.placement.backend).toBe('webgpu');
    } finally {
      await pool.close();
      store = await Store.open({ path: dbPath });
    }
  }, 120_000);
});
