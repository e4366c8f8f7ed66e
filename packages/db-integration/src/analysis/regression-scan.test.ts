import { afterEach, describe, expect, it } from 'vitest';

import { regressionRows } from '../report/data';
import { Store } from '../store/store';
import { type FindingDetails, scanRegressions } from './regression-scan';

let store: Store | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
});

/**
 * Two series of 60 hourly windows, the newest an hour ago. resnet: points 0-9 fell back to WASM (2.5x slower), then
 * WebGPU, and commit c40 made it 30 % slower. bert: flat. Noise: uniform +-2 % from DuckDB's hash (fixed).
 */
async function seeded(): Promise<Store> {
  const s = await Store.open({ path: ':memory:' });
  await s.run(`
    INSERT INTO time_series_performance (id, recorded_at, window_start, run_id, model_name, model_type, browser, requested_backend, backend,
      batch_size, samples, mean_ms, p50_ms, p90_ms, p99_ms, stdev_ms, compute_p50_ms, throughput, memory_mb, is_real_hardware, is_simulated,
      adapter_architecture, git_commit)
    SELECT row_number() OVER (), ts, ts, 1, model, 'vision', 'chromium', 'webgpu', backend, 1, 50, lat, lat, lat, lat, 0.1, lat, 1000 / lat, 64,
           true, false, CASE WHEN backend = 'webgpu' THEN 'ampere' END, 'c' || p
    FROM (
      SELECT p, model, (now() - INTERVAL 1 HOUR - to_hours(59 - p))::TIMESTAMP AS ts,
             CASE WHEN model = 'resnet' AND p < 10 THEN 'wasm' ELSE 'webgpu' END AS backend,
             10 * (1 + 0.04 * ((hash(p, model) % 10000) / 10000.0 - 0.5))
                * CASE WHEN model = 'resnet' AND p < 10 THEN 2.5 ELSE 1 END
                * CASE WHEN model = 'resnet' AND p >= 40 THEN 1.3 ELSE 1 END AS lat
      FROM range(60) t(p) CROSS JOIN (VALUES ('resnet'), ('bert')) m(model)
    )`);
  return s;
}

describe('scanRegressions', () => {
  it('stores a fallback at index 0 as an environment change and the step with its interval, commit range and evidence', async () => {
    store = await seeded();
    const result = await scanRegressions(store, { metrics: ['latency'] });
    expect(result).toMatchObject({ series: 2, points: 120, inserted: 2, findings: 2 });
    const rows = await store.all<{ kind: string; model_name: string; git_commit: string; change_pct: number; details: string }>(
      'SELECT kind, model_name, git_commit, change_pct, details FROM performance_regression ORDER BY change_at',
    );
    expect(rows.map((r) => [r.model_name, r.kind, r.git_commit])).toEqual([
      ['resnet', 'backend_fallback', 'c0'],
      ['resnet', 'regression', 'c40'],
    ]);
    const fallback = JSON.parse(rows[0]!.details) as FindingDetails;
    expect(fallback.findingClass).toBe('environment change');
    expect(fallback.commits).toEqual({ from: null, to: 'c0' });
    expect(rows[0]!.change_pct).toBeGreaterThan(130);
    const step = JSON.parse(rows[1]!.details) as FindingDetails;
    expect(step.findingClass).toBe('step regression');
    expect(step.commits).toEqual({ from: 'c39', to: 'c40' });
    expect(rows[1]!.change_pct).toBeCloseTo(30, -1);
    expect(step.intervalPct![0]).toBeLessThan(30);
    expect(step.intervalPct![1]).toBeGreaterThan(30);
    expect(step.evidence).toMatchObject({ beforeCount: 30, afterCount: 20 });
    expect(step.evidence!.before).toHaveLength(10);
    expect(step.evidence!.after[0]!.value).toBeGreaterThan(12);

    // A second scan stores nothing new; the report (and GET /regressions, which returns these rows) carries the fields.
    expect((await scanRegressions(store, { metrics: ['latency'] })).inserted).toBe(0);
    const report = await regressionRows(store, { days: 30 });
    expect(report.map((r) => [r.findingClass, r.commits.to])).toEqual(
      expect.arrayContaining([
        ['environment change', 'c0'],
        ['step regression', 'c40'],
      ]),
    );
  });

  it('reads the browser version with each point and stores a browser update (15 % slower, same backend) as an environment change, not a regression', async () => {
    store = await Store.open({ path: ':memory:' });
    await store.run(`
      INSERT INTO time_series_performance (id, recorded_at, window_start, run_id, model_name, model_type, browser, browser_version, requested_backend,
        backend, batch_size, samples, mean_ms, p50_ms, p90_ms, p99_ms, stdev_ms, compute_p50_ms, is_real_hardware, is_simulated, adapter_architecture, git_commit)
      SELECT p + 1, ts, ts, 1, 'resnet', 'vision', 'chromium', CASE WHEN p < 30 THEN '130.0.1' ELSE '131.0.2' END, 'webgpu', 'webgpu', 1, 50,
             lat, lat, lat, lat, 0.1, lat, true, false, 'ampere', 'c0'
      FROM (SELECT p, (now() - INTERVAL 1 HOUR - to_hours(59 - p))::TIMESTAMP AS ts,
                   10 * (1 + 0.04 * ((hash(p) % 10000) / 10000.0 - 0.5)) * CASE WHEN p >= 30 THEN 1.15 ELSE 1 END AS lat
            FROM range(60) t(p))`);
    await scanRegressions(store, { metrics: ['latency'] });
    const rows = await store.all<{ kind: string; change_pct: number; details: string }>('SELECT kind, change_pct, details FROM performance_regression');
    expect(rows.map((r) => r.kind)).toEqual(['browser_version']);
    expect(rows[0]!.change_pct).toBeCloseTo(15, -1);
    const details = JSON.parse(rows[0]!.details) as FindingDetails;
    expect(details.findingClass).toBe('environment change');
    expect(details.detail).toContain('131.0.2');
    expect(details.detail).toContain('130.0.1');
  });

  it('stores a series that two hosts with different GPUs feed in turn as one environment finding, and a code change both hosts show as one finding, its commit range narrowed by both', async () => {
    // 120 hourly windows; host A (ampere, 8 ms) and host B (turing, 12 ms) take turns in runs of 1-3 windows (from
    // DuckDB's hash, fixed); commit c80 makes both 30 % slower. Before, each switch was an adapter change (34 findings)
    // and the regression was found on one host only, within one of its longer runs; then on each host, with that host's
    // wider commit range.
    store = await Store.open({ path: ':memory:' });
    await store.run(`
      INSERT INTO time_series_performance (id, recorded_at, window_start, run_id, model_name, model_type, browser, requested_backend, backend,
        batch_size, samples, mean_ms, p50_ms, p90_ms, p99_ms, stdev_ms, compute_p50_ms, is_real_hardware, is_simulated, adapter_architecture, git_commit)
      SELECT p + 1, ts, ts, 1, 'resnet', 'vision', 'chromium', 'webgpu', 'webgpu', 1, 50, lat, lat, lat, lat, 0.1, lat, true, false,
             CASE WHEN b THEN 'turing' ELSE 'ampere' END, 'c' || p
      FROM (SELECT p, b, (now() - INTERVAL 1 HOUR - to_hours(119 - p))::TIMESTAMP AS ts,
                   CASE WHEN b THEN 12 ELSE 8 END * (1 + 0.04 * ((hash(p, 7) % 10000) / 10000.0 - 0.5)) * CASE WHEN p >= 80 THEN 1.3 ELSE 1 END AS lat
            FROM (SELECT p, (p // 2 + hash(p // 2) % 2) % 2 = 1 AS b FROM range(120) t(p)))`);
    const hosts = await store.all<{ p: number; turing: boolean }>(
      "SELECT CAST(substr(git_commit, 2) AS INTEGER) AS p, adapter_architecture = 'turing' AS turing FROM time_series_performance ORDER BY p",
    );
    const switches = hosts.filter((h, i) => i > 0 && h.turing !== hosts[i - 1]!.turing).length;
    expect(switches).toBeGreaterThan(20);
    await scanRegressions(store, { metrics: ['latency'] });
    const rows = await store.all<{ kind: string; change_pct: number; git_commit: string; details: string }>(
      'SELECT kind, change_pct, git_commit, details FROM performance_regression ORDER BY change_at',
    );
    expect(rows.map((r) => r.kind).sort()).toEqual(['adapter_change', 'regression']);
    const environment = rows.find((r) => r.kind === 'adapter_change')!;
    expect((JSON.parse(environment.details) as FindingDetails).detail).toContain(`${switches} times (sized on`);
    const step = rows.find((r) => r.kind === 'regression')!;
    expect(step.change_pct).toBeCloseTo(30, -1);
    expect(step.git_commit).toBe('c80');
    const details = JSON.parse(step.details) as FindingDetails;
    // Each host alone places it after its own last point before 80; together they place it at c80 exactly.
    expect(details.commits).toEqual({ from: 'c79', to: 'c80' });
    expect(details.detail).toContain('turing');
    expect(details.detail).toContain('ampere');
    // The evidence is one host's points (the one that compared more), at that host's level on each side.
    const level = details.evidence!.before[0]!.value > 10 ? 12 : 8;
    const own = hosts.filter((h) => h.turing === (level === 12)).map((h) => h.p);
    expect(details.evidence!.before.every((x) => Math.abs(x.value / level - 1) < 0.03)).toBe(true);
    expect(details.evidence!.after.every((x) => Math.abs(x.value / (1.3 * level) - 1) < 0.03)).toBe(true);
    expect(details.evidence!.beforeCount).toBe(Math.min(60, own.filter((p) => p < 80).length));
  });
});
