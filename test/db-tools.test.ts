/**
 * Database tools on real temp-file DuckDB: legacy JSON import (field-name variants, duplicate and corrupt files,
 * nothing partially imported, a re-run imports nothing), integrity checks, export, and backup -> restore equal row
 * for row.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { backupDatabase, checkDatabase, exportTables, importFiles, restoreDatabase, Store } from '@browser-pool/db-integration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'bp-tools-'));
const legacy = join(dir, 'legacy');
let store: Store;

const count = async (sql: string) => (await store.one<{ n: number }>(sql))?.n;

beforeAll(async () => {
  mkdirSync(join(legacy, 'nested'), { recursive: true });
  // old-style: hardware-keyed map under a model, snake and camel variants, numbers as strings, epoch seconds
  writeFileSync(join(legacy, 'bert.json'), JSON.stringify({
    model: 'bert-base-uncased', model_type: 'text_embedding', batch_size: 4, timestamp: 1_700_000_000,
    results: { cpu: { throughput_items_per_second: '51.5', average_latency_ms: 77.6, memory_usage_mb: 410 }, cuda: { throughput: 820, latency_ms: 4.9, is_simulated: true } },
  }));
  writeFileSync(join(legacy, 'nested', 'web.json'), JSON.stringify({
    metadata: { generated_by: 'old runner' },
    performance_results: [{ modelName: 'vit-base', browser: 'Chrome', platform: 'WebGPU', batchSize: 1, latency: 12.5, throughput: 80, date: '2025-01-02T03:04:05Z' }],
    hardware_compatibility: [{ model: 'vit-base', browser: 'firefox', hardware_type: 'webnn', compatible: 'false', error: 'WebNN not supported' }],
    integration_test_results: [{ module: 'test_web', name: 'test_vit_webgpu', result: 'passed', duration: 3.2 }, { module: 'test_web', name: 'test_vit_webnn', result: 'failed', error: 'no webnn' }],
  }));
  writeFileSync(join(legacy, 'zz-bert-copy.json'), JSON.stringify({
    model: 'bert-base-uncased', model_type: 'text_embedding', batch_size: 4, timestamp: 1_700_000_000,
    results: { cpu: { throughput_items_per_second: '51.5', average_latency_ms: 77.6, memory_usage_mb: 410 }, cuda: { throughput: 820, latency_ms: 4.9, is_simulated: true } },
  }, null, 2)); // same records, different bytes: the file imports, every row is a duplicate
  writeFileSync(join(legacy, 'corrupt.json'), '{"results": [{"model": "x", "throughput": 1}');
  writeFileSync(join(legacy, 'half-bad.json'), JSON.stringify([{ model: 'good', hardware: 'cpu', throughput: 10 }, { model: 'bad', hardware: 'cpu', throughput: -5 }]));
  writeFileSync(join(legacy, 'empty.json'), JSON.stringify({ note: 'nothing here' }));
  store = await Store.open({ path: join(dir, 'tools.duckdb') });
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('legacy JSON import', () => {
  it('imports valid files whole, fails bad ones with reasons, stores nothing from them', async () => {
    const summary = await importFiles(store, [legacy]);
    const by = Object.fromEntries(summary.files.map((f) => [f.file.slice(legacy.length + 1), f]));
    expect(by['bert.json']).toMatchObject({ status: 'imported', rows: 2, duplicates: 0 });
    expect(by['zz-bert-copy.json']).toMatchObject({ status: 'imported', rows: 0, duplicates: 2 });
    expect(by['nested/web.json']).toMatchObject({ status: 'imported', rows: 4 });
    expect(by['corrupt.json']).toMatchObject({ status: 'failed', code: 'E_IMPORT_FORMAT' });
    expect(by['half-bad.json']).toMatchObject({ status: 'failed', code: 'E_IMPORT_FORMAT' });
    expect((by['half-bad.json'] as { reason: string }).reason).toMatch(/record 2 \(performance\): throughput_items_per_s/);
    expect(by['empty.json']).toMatchObject({ status: 'failed', code: 'E_IMPORT_FORMAT' });
    expect(summary).toMatchObject({ imported: 3, failed: 3, skipped: 0, rows: 6 });

    const rows = await store.all(
      `SELECT m.model_name, h.browser, h.backend, r.batch_size, r.throughput_items_per_s, r.mean_latency_ms, r.memory_peak_mb, r.is_simulated, epoch(r.created_at) AS t
       FROM performance_results r JOIN models m USING (model_id) JOIN hardware_platforms h USING (hardware_id) ORDER BY m.model_name, h.backend`,
    );
    expect(rows).toEqual([
      { model_name: 'bert-base-uncased', browser: 'native', backend: 'cpu', batch_size: 4, throughput_items_per_s: 51.5, mean_latency_ms: 77.6, memory_peak_mb: 410, is_simulated: false, t: 1_700_000_000 },
      { model_name: 'bert-base-uncased', browser: 'native', backend: 'cuda', batch_size: 4, throughput_items_per_s: 820, mean_latency_ms: 4.9, memory_peak_mb: null, is_simulated: true, t: 1_700_000_000 },
      { model_name: 'vit-base', browser: 'chrome', backend: 'webgpu', batch_size: 1, throughput_items_per_s: 80, mean_latency_ms: 12.5, memory_peak_mb: null, is_simulated: false, t: Date.parse('2025-01-02T03:04:05Z') / 1000 },
    ]);
    expect(await count("SELECT count(*) AS n FROM models WHERE model_name IN ('good', 'bad')")).toBe(0);
    expect(await store.all('SELECT is_compatible, error_message FROM hardware_compatibility')).toEqual([{ is_compatible: false, error_message: 'WebNN not supported' }]);
    expect(await store.all('SELECT test_module, test_name, status, execution_time_s FROM integration_test_results ORDER BY test_name')).toEqual([
      { test_module: 'test_web', test_name: 'test_vit_webgpu', status: 'pass', execution_time_s: 3.2 },
      { test_module: 'test_web', test_name: 'test_vit_webnn', status: 'fail', execution_time_s: null },
    ]);
    expect(await store.all("SELECT status, count(*) AS n FROM migration_tracking GROUP BY status ORDER BY status")).toEqual([
      { status: 'failed', n: 3 },
      { status: 'imported', n: 3 },
    ]);
  });

  it('a re-run skips imported files and imports nothing new', async () => {
    const before = await count('SELECT count(*) AS n FROM performance_results');
    const summary = await importFiles(store, [legacy]);
    expect(summary).toMatchObject({ imported: 0, skipped: 3, failed: 3, rows: 0 });
    expect(summary.files.find((f) => f.file.endsWith('bert.json'))).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/already imported/) as unknown });
    expect(await count('SELECT count(*) AS n FROM performance_results')).toBe(before);
  });

  it('a path that does not exist is a clear error', async () => {
    await expect(importFiles(store, [join(dir, 'nope')])).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT' });
  });
});

describe('maintenance', () => {
  it('check finds dangling keys (every reference), NaN and ±Infinity in any float column, and negative metrics', async () => {
    expect((await checkDatabase(store)).ok).toBe(true);
    await store.run(
      `INSERT INTO performance_results (result_id, run_id, model_id, hardware_id, batch_size, mean_latency_ms, p90_latency_ms, is_simulated, created_at) VALUES
       (900, NULL, 12345, 1, 1, 5, 6, false, now()), (901, NULL, 1, 1, 1, 'NaN'::DOUBLE, 6, false, now()), (902, NULL, 1, 1, 1, -3, 6, false, now()),
       (903, 777777, 1, 1, 1, 7, 'Infinity'::DOUBLE, false, now()), (904, NULL, 1, 1, 1, 8, '-Infinity'::DOUBLE, false, now())`,
    );
    await store.run(
      `INSERT INTO power_metrics (power_id, run_id, result_id, hardware_id, source, recorded_at, power_watts_avg) VALUES (900, NULL, 424242, NULL, 'test', now(), 'Infinity'::DOUBLE)`,
    );
    const report = await checkDatabase(store);
    await store.run('DELETE FROM performance_results WHERE result_id >= 900');
    await store.run('DELETE FROM power_metrics WHERE power_id = 900');
    expect(report.ok).toBe(false);
    const found = Object.fromEntries(report.findings.filter((f) => f.count > 0).map((f) => [`${f.check}:${f.table}${f.check === 'dangling_keys' ? `.${f.detail.split(' ')[0]!}` : ''}`, f.count]));
    expect(found).toEqual({
      'dangling_keys:performance_results.model_id': 1, // one finding per reference
      'dangling_keys:performance_results.run_id': 1,
      'dangling_keys:power_metrics.result_id': 1,
      'non_finite:performance_results': 3,
      'non_finite:power_metrics': 1,
      'invalid_metrics:performance_results': 1,
    });
    const dangling = report.findings.filter((f) => f.check === 'dangling_keys' && f.count > 0).map((f) => f.detail).sort();
    expect(dangling).toEqual(['model_id names no row of models', 'result_id names no row of performance_results', 'run_id names no row of test_runs']);
    expect(report.findings.find((f) => f.check === 'non_finite' && f.table === 'performance_results')?.detail).toBe('NaN or ±Infinity in mean_latency_ms (1), p90_latency_ms (2)');
    // every id column that names another table's key is checked, across all tables
    const refs = report.findings.filter((f) => f.check === 'dangling_keys').map((f) => `${f.table}.${f.detail.split(' ')[0]!}`);
    expect(refs).toEqual(expect.arrayContaining(['webnn_webgpu_performance.run_id', 'time_series_performance.run_id', 'hardware_compatibility.hardware_id', 'power_metrics.result_id', 'integration_test_results.model_id']));
    expect((await checkDatabase(store)).ok).toBe(true);
  });

  it('exports tables as parquet and csv that DuckDB reads back', async () => {
    const files = await exportTables(store, join(dir, 'export'), 'parquet', ['performance_results', 'models']);
    expect(files.map((f) => f.rows)).toEqual([3, 2]);
    const back = await store.one<{ n: number }>(`SELECT count(*) AS n FROM read_parquet('${files[0]!.file}')`);
    expect(back?.n).toBe(3);
    const csv = await exportTables(store, join(dir, 'export'), 'csv', ['models']);
    expect(csv[0]!.file.endsWith('models.csv')).toBe(true);
    await expect(exportTables(store, dir, 'xlsx' as 'csv')).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT' });
    await expect(exportTables(store, dir, 'csv', ['nope'])).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT' });
  });

  it('backup -> restore gives the same rows, compressed or not; retention keeps the newest', async () => {
    const tables = ['performance_results', 'models', 'hardware_platforms', 'hardware_compatibility', 'integration_test_results', 'migration_tracking', 'test_runs', 'schema_version'];
    const snapshot = async (s: Store): Promise<Record<string, string>> => Object.fromEntries(await Promise.all(tables.map(async (t): Promise<[string, string]> => [t, JSON.stringify(await s.all(`SELECT * FROM ${t} ORDER BY ALL`))])));
    const original = await snapshot(store);
    const plain = await backupDatabase(store, { dir: join(dir, 'backups') });
    await new Promise((r) => setTimeout(r, 5));
    const gz = await backupDatabase(store, { dir: join(dir, 'backups'), compress: true, keep: 1 });
    expect(gz.file.endsWith('.duckdb.gz')).toBe(true);
    expect(gz.deleted).toEqual([plain.file]);
    const target = join(dir, 'restored.duckdb');
    const restored = await restoreDatabase(gz.file, target);
    expect(restored.schemaVersion).toBe(store.schemaVersion);
    const copy = await Store.open({ path: target, readOnly: true });
    try {
      expect(await snapshot(copy)).toEqual(original);
    } finally {
      copy.close();
    }
    await expect(restoreDatabase(gz.file, target)).rejects.toMatchObject({ code: 'E_DB_BACKUP' });
    writeFileSync(join(dir, 'garbage.duckdb'), 'not a database');
    await expect(restoreDatabase(join(dir, 'garbage.duckdb'), target, { force: true })).rejects.toMatchObject({ code: 'E_DB_BACKUP' });
    const still = await Store.open({ path: target, readOnly: true });
    expect((await still.one<{ n: number }>('SELECT count(*) AS n FROM performance_results'))?.n).toBe(3);
    still.close();
    const edit = await Store.open({ path: target });
    await edit.run('DELETE FROM performance_results WHERE result_id = (SELECT min(result_id) FROM performance_results)');
    edit.close();
    // two forced restores: each keeps the file it replaced under its own timestamped name, nothing is overwritten
    const first = await restoreDatabase(gz.file, target, { force: true });
    const second = await restoreDatabase(gz.file, target, { force: true });
    expect(first.previous).toMatch(/restored\.duckdb\.before-restore-\d{8}-\d{9}(-\d+)?$/);
    expect(second.previous).toMatch(/restored\.duckdb\.before-restore-\d{8}-\d{9}(-\d+)?$/);
    expect(second.previous).not.toBe(first.previous);
    const rows = async (file: string): Promise<number | undefined> => {
      const s = await Store.open({ path: file, readOnly: true });
      try {
        return (await s.one<{ n: number }>('SELECT count(*) AS n FROM performance_results'))?.n;
      } finally {
        s.close();
      }
    };
    expect(await rows(first.previous!)).toBe(2); // the edited database, with its delete
    expect(await rows(second.previous!)).toBe(3); // the first restore's result
  });
});
