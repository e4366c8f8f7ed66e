/**
 * Legacy import, field for field: a seeded generator writes result files in every shape the old system's documents
 * describe (plus corrupt ones); each must import with its own timestamps (microseconds kept), aliases mapped, the
 * old simulation flags honest, NaN/Infinity stored as NULL and named, unknown fields kept in metadata and listed in
 * the report, and every corrupt file refused whole with its reason. Real temp-file DuckDB.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { type FileOutcome, importFiles, type ImportSummary, Store } from '@browser-pool/db-integration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ExpectedFile, type ExpectedRow, writeLegacyFiles } from './fixtures/legacy-files';

const dir = mkdtempSync(join(tmpdir(), 'bp-legacy-'));
const files = join(dir, 'files');
let store: Store;
let expected: ExpectedFile[];
let summary: ImportSummary;

const ts = (col: string, as: string) => `strftime(${col}, '%Y-%m-%d %H:%M:%S.%f') AS ${as}`;
const VIEWS: Record<ExpectedRow['table'], string> = {
  performance: `SELECT m.model_name AS model, h.browser, h.backend, h.host, h.is_real_hardware, r.* EXCLUDE (model_id, hardware_id), ${ts('r.created_at', 'created')}
    FROM performance_results r JOIN models m USING (model_id) JOIN hardware_platforms h USING (hardware_id)`,
  compatibility: `SELECT m.model_name AS model, h.browser, h.backend, c.* EXCLUDE (model_id, hardware_id), ${ts('c.detected_at', 'detected')}
    FROM hardware_compatibility c JOIN models m USING (model_id) JOIN hardware_platforms h USING (hardware_id)`,
  integration: `SELECT m.model_name AS model, h.browser, h.backend, i.* EXCLUDE (model_id, hardware_id), ${ts('i.created_at', 'created')}
    FROM integration_test_results i LEFT JOIN models m USING (model_id) LEFT JOIN hardware_platforms h USING (hardware_id)`,
  power: `SELECT m.model_name AS model, h.browser, h.backend, p.* EXCLUDE (model_id, hardware_id), ${ts('p.recorded_at', 'recorded')}
    FROM power_metrics p JOIN models m USING (model_id) JOIN hardware_platforms h USING (hardware_id)`,
  availability: `SELECT a.*, ${ts('a.checked_at', 'checked')} FROM hardware_availability_log a`,
  inference: `SELECT w.model_name AS model, w.*, ${ts('w.recorded_at', 'recorded')} FROM webnn_webgpu_performance w`,
};

async function tableRows(table: ExpectedRow['table']): Promise<Record<string, unknown>[]> {
  const rows = await store.all(VIEWS[table]);
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, ['metrics', 'metadata', 'details'].includes(k) && typeof v === 'string' ? (JSON.parse(v) as unknown) : v])));
}

const outcomeOf = (name: string): FileOutcome | undefined => summary.files.find((f) => basename(f.file) === name);
const total = async (): Promise<number> =>
  (await store.one<{ n: number }>(`SELECT (SELECT count(*) FROM performance_results) + (SELECT count(*) FROM hardware_compatibility) + (SELECT count(*) FROM integration_test_results)
    + (SELECT count(*) FROM power_metrics) + (SELECT count(*) FROM hardware_availability_log) + (SELECT count(*) FROM webnn_webgpu_performance) AS n`))?.n ?? -1;

beforeAll(async () => {
  mkdirSync(files);
  expected = writeLegacyFiles(files, 20261130, 2);
  store = await Store.open({ path: join(dir, 'legacy.duckdb') });
  summary = await importFiles(store, [files]);
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('legacy import: every shape of the old system', () => {
  it('imports each good file with its rows per table and the fields it kept as metadata; refuses each corrupt one whole', async () => {
    const good = expected.filter((e) => e.status === 'imported');
    const bad = expected.filter((e) => e.status === 'failed');
    expect(new Set(good.map((e) => e.shape)).size).toBe(14);
    expect(summary).toMatchObject({ imported: good.length, failed: bad.length, skipped: 0 });
    for (const e of good) {
      const o = outcomeOf(e.name);
      expect(o?.status, `${e.name}: ${JSON.stringify(o)}`).toBe('imported');
      if (o?.status === 'imported') {
        expect(o.tables, e.name).toEqual(e.tables);
        expect(o.metadataFields, e.name).toEqual(e.metadataFields);
      }
    }
    for (const e of bad) {
      const o = outcomeOf(e.name);
      expect(o, e.name).toMatchObject({ status: 'failed', code: 'E_IMPORT_FORMAT' });
      expect((o as { reason: string }).reason, e.name).toMatch(e.reason ?? /./);
      for (const row of e.rows) {
        expect((await store.one<{ n: number }>('SELECT count(*) AS n FROM models WHERE model_name = ?', [row.model ?? '']))?.n, `${e.name} stored nothing`).toBe(0);
      }
    }
    // the file whose last record was corrupt stored none of its earlier ones either
    expect((await store.one<{ n: number }>("SELECT count(*) AS n FROM integration_test_results WHERE test_name = 'first'"))?.n).toBe(0);
  });

  it('stores every expected row field for field: values, original timestamps (microseconds), aliases, flags, metadata', async () => {
    const cache = new Map<string, Record<string, unknown>[]>();
    let checked = 0;
    for (const e of expected.filter((x) => x.status === 'imported')) {
      for (const row of e.rows) {
        const all = cache.get(row.table) ?? (await tableRows(row.table));
        cache.set(row.table, all);
        const candidates = all.filter((r) => (row.model === undefined || r.model === row.model) && (row.backend === undefined || r.backend === row.backend));
        expect(candidates.length, `${e.name}: no ${row.table} row for ${row.model ?? ''} ${row.backend ?? ''}`).toBeGreaterThan(0);
        const match = candidates.find((c) => {
          try {
            expect(c).toMatchObject(row.values);
            return true;
          } catch {
            return false;
          }
        });
        expect(match ?? candidates[0], `${e.name} (${e.shape}) ${row.table}`).toMatchObject(row.values);
        checked++;
      }
    }
    expect(checked).toBe(48); // 24 expected rows per seeded round, 2 rounds
  });

  it('never marks a simulated legacy row as a real measurement', async () => {
    const perf = await tableRows('performance');
    const simulated = perf.filter((r) => r.is_simulated === true);
    expect(simulated.length).toBeGreaterThanOrEqual(4);
    expect(simulated.every((r) => r.is_real_hardware === false && typeof r.simulation_reason === 'string')).toBe(true);
    const inf = await tableRows('inference');
    expect(inf.every((r) => r.is_simulated === true && r.is_real_hardware === false)).toBe(true);
    const measured = await store.all("SELECT count(*) AS n FROM measurements WHERE source = 'benchmark' AND is_real_hardware AND model_name IN (SELECT model_name FROM models WHERE model_name LIKE 'pool-%' OR model_name LIKE 'runner-%')");
    expect(measured).toEqual([{ n: 2 }]); // the two cpu runner results; the simulated cuda ones are not real
  });

  it('keeps top-level summary fields with the import run and lists them', async () => {
    const o = outcomeOf(expected.find((e) => e.shape === 'run_benchmark_with_db --output-json')?.name ?? '');
    expect(o).toMatchObject({ status: 'imported', fileFields: ['failed', 'successful', 'total'] });
    const nan = outcomeOf(expected.find((e) => e.shape === 'Python JSON with NaN/Infinity')?.name ?? '');
    expect(nan).toMatchObject({ nonFinite: ['p99_latency_ms=NaN', 'throughput_items_per_second=Infinity'] });
    const run = await store.one<{ m: string }>("SELECT metadata AS m FROM test_runs WHERE test_name LIKE '%run-benchmark-output-%' LIMIT 1");
    expect((JSON.parse(run?.m ?? '{}') as { file_fields: unknown }).file_fields).toEqual({ total: 3, successful: 2, failed: 1 });
  });

  it('a re-run stores nothing; the same records re-serialized are all duplicates', async () => {
    const before = await total();
    const again = await importFiles(store, [files]);
    expect(again).toMatchObject({ imported: 0, rows: 0 });
    expect(await total()).toBe(before);
    const copy = join(dir, 'copy');
    mkdirSync(copy);
    const name = expected.find((e) => e.shape === 'store_test_result dicts (+ performance, power_metrics)')?.name ?? '';
    writeFileSync(join(copy, name), JSON.stringify(JSON.parse(readFileSync(join(files, name), 'utf8'))));
    const dup = await importFiles(store, [copy]);
    expect(dup.files[0]).toMatchObject({ status: 'imported', rows: 0, duplicates: 6 });
    expect(await total()).toBe(before);
  });
});
