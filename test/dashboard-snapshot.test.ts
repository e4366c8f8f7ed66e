/**
 * db-integration's dashboard snapshot from a real temp-file DuckDB with known rows: every table as CSV with the
 * manifest's row counts and types, views people-facing first, recommendations equal to the report's analysis, and
 * the CSV read back by DuckDB with the manifest's types equals the source table (tricky text included).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadCandidates, recommend, type SnapshotManifest, type Store, writeSnapshot } from '@browser-pool/db-integration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dashboardDb, TRICKY_TEXT } from './fixtures/dashboard-db';

const dir = mkdtempSync(join(tmpdir(), 'bp-snapshot-'));
let store: Store;
let manifest: SnapshotManifest;

beforeAll(async () => {
  store = await dashboardDb(join(dir, 'bench.duckdb'));
  manifest = await writeSnapshot(store, join(dir, 'snap'));
});

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

describe('writeSnapshot', () => {
  it('writes every table with its row count, JSON as VARCHAR, and the manifest on disk equals the returned one', async () => {
    expect(JSON.parse(readFileSync(join(dir, 'snap', 'manifest.json'), 'utf8'))).toEqual(manifest);
    expect(manifest).toMatchObject({ format: 'browser-pool-snapshot', formatVersion: 2, schemaVersion: store.schemaVersion });
    const tables = await store.all<{ table_name: string }>("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1");
    const derived = ['recommendations', 'result_limits', 'optimization_effects'];
    expect(manifest.tables.map((t) => t.name).sort()).toEqual([...tables.map((t) => t.table_name), ...derived].sort());
    for (const t of manifest.tables.filter((x) => !derived.includes(x.name))) {
      const n = (await store.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM "${t.name}"`))!.n;
      expect(t.rows, t.name).toBe(n);
      expect(t).toMatchObject({ file: 'tables.duckdb', format: 'duckdb' });
    }
    expect(manifest.tables.find((t) => t.name === 'performance_results')!.rows).toBe(46);
    expect(manifest.tables.find((t) => t.name === 'hardware_platforms')!.columns.find((c) => c.name === 'adapter_info')!.type).toBe('VARCHAR');
    expect(manifest.views.map((v) => v.name).slice(0, 2)).toEqual(['measurements', 'latest_performance']);
    expect(manifest.views.every((v) => v.sql.startsWith('CREATE VIEW'))).toBe(true);
  });

  it('the database file read back equals the source with the manifest types (text with comma, quote and newline; NULLs; timestamps)', async () => {
    await store.run(`ATTACH ${sqlString(join(dir, 'snap', 'tables.duckdb'))} AS snapback (READ_ONLY)`);
    try {
      for (const name of ['hardware_compatibility', 'performance_results', 'time_series_performance', 'hardware_platforms']) {
        const t = manifest.tables.find((x) => x.name === name)!;
        const read = `SELECT * FROM snapback."${name}"`;
        const castSource = `SELECT ${t.columns.map((c) => `"${c.name}"::${c.type} AS "${c.name}"`).join(', ')} FROM "${name}"`;
        const diff = await store.one<{ a: number; b: number }>(`SELECT (SELECT count(*) FROM (${read} EXCEPT ALL ${castSource}))::INTEGER AS a, (SELECT count(*) FROM (${castSource} EXCEPT ALL ${read}))::INTEGER AS b`);
        expect(diff, name).toEqual({ a: 0, b: 0 });
        const types = await store.all<{ column_name: string; data_type: string }>(`SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'snapback' AND table_name = ${sqlString(name)} ORDER BY column_index`);
        expect(types.map((c) => `${c.column_name}:${c.data_type}`), name).toEqual(t.columns.map((c) => `${c.name}:${c.type}`));
      }
      const back = await store.one<{ m: string }>('SELECT error_message AS m FROM snapback.hardware_compatibility WHERE compat_id = 3');
      expect(back!.m).toBe(TRICKY_TEXT);
    } finally {
      await store.run('DETACH snapback');
    }
  });

  it('stores the report\'s recommendations, software adapters labelled', async () => {
    const expected = recommend(await loadCandidates(store));
    const t = manifest.tables.find((x) => x.name === 'recommendations')!;
    expect(t.rows).toBe(expected.length);
    const rows = await store.all<{ model_name: string | null; browser: string; backend: string; p50_latency_ms: number; is_real_hardware: boolean }>(
      `SELECT model_name, browser, backend, p50_latency_ms, is_real_hardware FROM read_csv(${sqlString(join(dir, 'snap', t.file))}, header = true, auto_detect = false,
        columns = {${t.columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ')}})`,
    );
    // Neither DuckDB's GROUP BY nor a parallel CSV read promises an order: compare as sets.
    const key = (r: { model_name: string | null; browser: string; backend: string; p50_latency_ms: number }): string =>
      `${r.model_name ?? ''}|${r.browser}|${r.backend}|${r.p50_latency_ms}`;
    const byKey = <T extends Parameters<typeof key>[0]>(xs: T[]): T[] => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
    expect(byKey(rows)).toEqual(
      byKey(expected.map((r) => ({ model_name: r.model ?? null, browser: r.browser, backend: r.backend, p50_latency_ms: r.p50LatencyMs, is_real_hardware: r.isRealHardware }))),
    );
    expect(rows.filter((r) => r.model_name !== null).every((r) => r.backend === 'wasm')).toBe(true);
  });

  it('refuses a folder that is not a snapshot, with E_DB_INVALID_ARGUMENT, and leaves it alone', async () => {
    await expect(writeSnapshot(store, dir)).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT' });
    expect(readFileSync(join(dir, 'snap', 'manifest.json'), 'utf8')).toContain('browser-pool-snapshot');
  });
});
