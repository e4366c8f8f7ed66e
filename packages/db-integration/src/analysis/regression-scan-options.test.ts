import { afterEach, describe, expect, it } from 'vitest';

import { sqlTimestamp, Store } from '../store/store';
import { defaultWorkers, scanRegressions } from './regression-scan';
import { endParkedWorkers, parkedWorkers } from './scan-workers';

const stores: Store[] = [];
afterEach(() => {
  stores.splice(0).forEach((s) => s.close());
});

/** 24 series x 240 hourly windows, rows in hashed order: steps up and down, drifts, fallbacks at the start and in the middle. */
async function seeded(newest: Date): Promise<Store> {
  const store = await Store.open({ path: ':memory:' });
  stores.push(store);
  await store.run(
    `
    INSERT INTO time_series_performance (id, recorded_at, window_start, run_id, model_name, model_type, browser, requested_backend, backend,
      batch_size, samples, mean_ms, p50_ms, p90_ms, p99_ms, stdev_ms, compute_p50_ms, throughput, memory_mb, is_real_hardware, is_simulated,
      adapter_architecture, git_commit)
    SELECT row_number() OVER (), ts, ts, 1, 'model-' || (s // 2), 'vision', ['chromium', 'firefox'][1 + s % 2], 'webgpu', backend, 1, 50,
           lat, lat, lat, lat, 0.1, lat, 1000 / lat, 64 + p // 60, true, false, CASE WHEN backend = 'webgpu' THEN 'ampere' END, 'c' || (p // 4)
    FROM (
      SELECT s, p, ?::TIMESTAMP - to_hours(239 - p) AS ts,
             CASE WHEN s % 5 = 3 AND (p < 12 OR p BETWEEN 120 AND 140) THEN 'wasm' ELSE 'webgpu' END AS backend,
             (5 + s % 7) * (1 + 0.04 * ((hash(s, p) % 20001) / 10000.0 - 1))
               * CASE WHEN s % 5 = 3 AND (p < 12 OR p BETWEEN 120 AND 140) THEN 2.5 ELSE 1 END
               * CASE WHEN s % 4 = 0 AND p >= 150 THEN 1.3 WHEN s % 4 = 1 AND p >= 90 THEN 0.8 ELSE 1 END
               * CASE WHEN s % 4 = 2 THEN 1 + 0.002 * p ELSE 1 END AS lat
      FROM range(24) t1(s) CROSS JOIN range(240) t2(p)
      ORDER BY hash(s, p)
    )`,
    [sqlTimestamp(newest)],
  );
  return store;
}

const stored = (store: Store, order = 'id'): Promise<Record<string, unknown>[]> =>
  store.all(
    `SELECT series_key, metric, detector, kind, severity, baseline_value, current_value, change_pct, p_value, epoch_ms(change_at) AS at, git_commit, details::VARCHAR AS details
     FROM performance_regression ORDER BY ${order}`,
  );

/** 30 more hourly windows on series 0 and 5 only, at their last levels; series 0 steps up by 40 % after 15 of them (commit d3). */
async function appendRuns(store: Store, newest: Date): Promise<void> {
  await store.run(
    `INSERT INTO time_series_performance (id, recorded_at, window_start, run_id, model_name, model_type, browser, requested_backend, backend,
       batch_size, samples, mean_ms, p50_ms, p90_ms, p99_ms, stdev_ms, compute_p50_ms, throughput, memory_mb, is_real_hardware, is_simulated,
       adapter_architecture, git_commit)
     SELECT 100000 + 100 * s + p, ts, ts, 2, 'model-' || (s // 2), 'vision', ['chromium', 'firefox'][1 + s % 2], 'webgpu', 'webgpu', 1, 50,
            lat, lat, lat, lat, 0.1, lat, 1000 / lat, 67, true, false, 'ampere', 'd' || (p // 5)
     FROM (SELECT s, p, ?::TIMESTAMP + to_hours(p + 1) AS ts,
                  (5 + s % 7) * (1 + 0.04 * ((hash(s, p, 'new') % 20001) / 10000.0 - 1)) * CASE WHEN s = 0 THEN 1.3 ELSE 0.8 END * CASE WHEN s = 0 AND p >= 15 THEN 1.4 ELSE 1 END AS lat
           FROM (VALUES (0), (5)) v(s) CROSS JOIN range(30) t(p))`,
    [sqlTimestamp(newest)],
  );
}

describe('scan detection across worker threads', () => {
  it('stores the same findings, in the same order, whether the main thread or a worker detects', async () => {
    const newest = new Date(Date.now() - 3_600_000);
    const [inThread, inWorkers] = [await seeded(newest), await seeded(newest)];
    const one = await scanRegressions(inThread, { workers: 0 });
    const two = await scanRegressions(inWorkers, { workers: 1, detectOffMainThread: true });
    expect(one.seriesByThread).toEqual([24]);
    // The main thread left the series to the worker, which did not fail.
    expect(two.seriesByThread).toEqual([0, 24]);
    expect(two.workerErrors).toEqual([]);
    expect(one.findings).toBeGreaterThan(20);
    expect(two).toMatchObject({ series: 24, points: 24 * 240, findings: one.findings, inserted: one.inserted });
    expect(await stored(inWorkers)).toEqual(await stored(inThread));
  });

  it('keeps its worker warm for the next scan, which takes it and gets the same findings from it', async () => {
    const newest = new Date(Date.now() - 3_600_000);
    const [first, second] = [await seeded(newest), await seeded(newest)];
    const before = parkedWorkers();
    const one = await scanRegressions(first, { workers: 1, detectOffMainThread: true });
    expect(parkedWorkers()).toBe(Math.max(1, before));
    const two = await scanRegressions(second, { workers: 1, detectOffMainThread: true });
    // The parked worker was taken (none started beside it) and put back; it detected every series again.
    expect(parkedWorkers()).toBe(Math.max(1, before));
    expect([one.seriesByThread, two.seriesByThread]).toEqual([
      [0, 24],
      [0, 24],
    ]);
    expect(two.workerErrors).toEqual([]);
    expect(await stored(second)).toEqual(await stored(first));
  });

  it('does not hand a scan a parked worker that has ended: a fresh one is started and parked in its place', async () => {
    const newest = new Date(Date.now() - 3_600_000);
    const [first, second] = [await seeded(newest), await seeded(newest)];
    await scanRegressions(first, { workers: 1, detectOffMainThread: true });
    expect(parkedWorkers()).toBeGreaterThanOrEqual(1);
    // Ended from outside the scan's bookkeeping (as a crash would end it): only its exit event tells the pool.
    await endParkedWorkers();
    expect(parkedWorkers()).toBe(0);
    const again = await scanRegressions(second, { workers: 1, detectOffMainThread: true });
    expect(again.seriesByThread).toEqual([0, 24]);
    expect(again.workerErrors).toEqual([]);
    expect(await stored(second)).toEqual(await stored(first));
    expect(parkedWorkers()).toBe(1);
  });

  it('starts no worker by default for a small scan, and at least one when detection must leave the main thread', () => {
    expect(defaultWorkers(19_200, false)).toEqual({ workers: 0, why: 'none: 19200 points < 100000' });
    expect(defaultWorkers(10, true).workers).toBeGreaterThanOrEqual(1);
  });

  it('refuses a worker count that is not a whole number >= 0 (E_DB_INVALID_ARGUMENT)', async () => {
    const store = await seeded(new Date());
    await expect(scanRegressions(store, { workers: -1 })).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT', message: expect.stringContaining('workers') });
    await expect(scanRegressions(store, { workers: 1.5 })).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT' });
  });

  it('refuses every option a caller can get wrong with E_DB_INVALID_ARGUMENT naming it, and stores nothing', async () => {
    const store = await seeded(new Date());
    const bad: [Record<string, unknown>, string][] = [
      [{ workers: 100_000 }, 'workers must be a whole number from 0 to 64, got 100000'],
      [{ maxPointsPerSeries: 0 }, 'maxPointsPerSeries'],
      [{ maxPointsPerSeries: Number.NaN }, 'maxPointsPerSeries'],
      [{ maxPointsPerSeries: 2.5 }, 'maxPointsPerSeries'],
      [{ detectors: ['zscore'] }, 'detectors must be one or more of rank-changepoint, threshold, got "zscore"'],
      [{ detectors: [] }, 'detectors must be one or more'],
      [{ metrics: ['latency', 'p99'] }, 'metrics must be one or more of latency, throughput, memory, got "p99"'],
      [{ metrics: [] }, 'metrics must be one or more'],
      [{ days: -1 }, 'days'],
    ];
    for (const [options, message] of bad) {
      await expect(scanRegressions(store, options), JSON.stringify(options)).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT', message: expect.stringContaining(message) });
    }
    expect((await store.one<{ n: number }>('SELECT count(*) AS n FROM performance_regression'))!.n).toBe(0);
  });
});

describe('incremental regression scan', () => {
  it('skips unchanged series, rescans the two that got new runs, and stores what a full rescan stores', async () => {
    const newest = new Date(Date.now() - 40 * 3_600_000);
    const [incremental, full] = [await seeded(newest), await seeded(newest)];
    const first = await scanRegressions(incremental, { incremental: true, workers: 0 });
    await scanRegressions(full, { workers: 0 });
    expect(first).toMatchObject({ series: 24, unchanged: 0, points: 24 * 240 });
    // Nothing changed: nothing is read, the findings are those stored.
    const again = await scanRegressions(incremental, { incremental: true, workers: 0 });
    expect(again).toMatchObject({ series: 24, unchanged: 24, points: 0, inserted: 0, findings: first.findings });

    await appendRuns(incremental, newest);
    await appendRuns(full, newest);
    const rescan = await scanRegressions(incremental, { incremental: true, workers: 0 });
    expect(rescan).toMatchObject({ series: 24, unchanged: 22, points: 2 * 270 });
    expect(rescan.inserted).toBeGreaterThan(0);
    const whole = await scanRegressions(full, { workers: 0 });
    expect(rescan.findings).toBe(whole.findings);
    expect(await stored(incremental, 'series_key, metric, kind, change_at')).toEqual(await stored(full, 'series_key, metric, kind, change_at'));
    const step = await incremental.all<{ kind: string; git_commit: string }>("SELECT kind, git_commit FROM performance_regression WHERE metric = 'latency' AND git_commit LIKE 'd%'");
    expect(step).toEqual([{ kind: 'regression', git_commit: 'd3' }]);
    // Other options decide other findings: everything is scanned again.
    expect(await scanRegressions(incremental, { incremental: true, workers: 0, metrics: ['latency'] })).toMatchObject({ unchanged: 0, points: 24 * 270 - 22 * 30 });
  });
});
