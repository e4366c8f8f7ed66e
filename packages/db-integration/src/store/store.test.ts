import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';
import { Store } from './store';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bp-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Store migrations', () => {
  it('creates every table and view at the latest version, and reopening applies nothing twice', async () => {
    const path = join(dir, 'a.duckdb');
    const s1 = await Store.open({ path });
    expect(s1.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    const tables = (await s1.all<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")).map((r) => r.table_name);
    for (const t of [
      'browser_connections',
      'webnn_webgpu_performance',
      'resource_pool_metrics',
      'time_series_performance',
      'performance_regression',
      'models',
      'hardware_platforms',
      'test_runs',
      'performance_results',
      'hardware_compatibility',
      'integration_test_results',
      'power_metrics',
      'hardware_availability_log',
      'migration_tracking',
      'measurements',
      'latest_performance',
      'compatibility_matrix',
      'web_platform_performance',
    ]) {
      expect(tables).toContain(t);
    }
    s1.close();
    const s2 = await Store.open({ path });
    expect(s2.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect((await s2.all('SELECT version FROM schema_version ORDER BY 1')).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    s2.close();
  });

  it('upgrades a version-1 file in place and keeps its rows', async () => {
    const path = join(dir, 'old.duckdb');
    const old = await Store.open({ path, targetVersion: 1 });
    expect(old.schemaVersion).toBe(1);
    await old.run(
      "INSERT INTO browser_connections (id, recorded_at, run_id, event, browser) VALUES (1, '2026-01-01 00:00:00', 1, 'up', 'chromium')",
    );
    old.close();
    const upgraded = await Store.open({ path });
    expect(upgraded.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(await upgraded.all('SELECT id, browser FROM browser_connections')).toEqual([{ id: 1, browser: 'chromium' }]);
    expect(await upgraded.one('SELECT count(*) AS n FROM measurements')).toEqual({ n: 0 });
    upgraded.close();
  });

  it('refuses a file whose schema is newer than the code, changing nothing', async () => {
    const path = join(dir, 'new.duckdb');
    const s = await Store.open({ path });
    await s.run("INSERT INTO schema_version VALUES (99, 'from the future', '2030-01-01 00:00:00')");
    s.close();
    await expect(Store.open({ path })).rejects.toMatchObject({ code: 'E_SCHEMA_TOO_NEW', message: expect.stringContaining('schema version 99') });
  });

  it('rejects a bad targetVersion and reports a failed statement with E_DB_QUERY', async () => {
    await expect(Store.open({ path: ':memory:', targetVersion: 42 })).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT' });
    const s = await Store.open({ path: ':memory:' });
    await expect(s.all('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: 'E_DB_QUERY' });
    s.close();
    await expect(s.all('SELECT 1')).rejects.toMatchObject({ code: 'E_DB_CLOSED' });
  });
});

describe('TableWriter', () => {
  it('appends with store-generated ids, makes rows visible at flush, and stores non-finite numbers as NULL', async () => {
    const s = await Store.open({ path: join(dir, 'w.duckdb') });
    const w = await s.writer('power_metrics', { idColumn: 'power_id', batchRows: 3 });
    const at = new Date('2026-05-01T12:00:00Z');
    expect(w.push({ source: 'rapl', recorded_at: at, power_watts_avg: 12.5 })).toBe(1);
    expect(w.push({ source: 'rapl', recorded_at: at, power_watts_avg: Number.NaN })).toBe(2);
    expect((await s.one<{ n: number }>('SELECT count(*) AS n FROM power_metrics'))?.n).toBe(0);
    w.push({ source: 'rapl', recorded_at: at, power_watts_avg: 3 }); // third row: batch flush
    const rows = await s.all('SELECT power_id, power_watts_avg, recorded_at FROM power_metrics ORDER BY 1');
    expect(rows).toEqual([
      { power_id: 1, power_watts_avg: 12.5, recorded_at: at },
      { power_id: 2, power_watts_avg: null, recorded_at: at },
      { power_id: 3, power_watts_avg: 3, recorded_at: at },
    ]);
    // Ids continue after rows inserted by other means.
    expect(await s.nextId('power_metrics', 'power_id')).toBe(4);
    s.close();
  });
});
