import { afterEach, describe, expect, it } from 'vitest';

import { Store } from '../store/store';
import { loadTrends } from './trends';

let store: Store | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
});

/**
 * Series a (chromium, batch 1): 10 hourly points, p50 = 10 + point, the newest an hour ago; point 8 has no
 * throughput and point 9 a p50 of 0 (not a measurement: left out). Series b (firefox, batch 2): 4 points, the two
 * newest at the same instant.
 */
async function seeded(): Promise<Store> {
  const s = await Store.open({ path: ':memory:' });
  await s.run(`
    INSERT INTO time_series_performance (id, recorded_at, window_start, run_id, model_name, model_type, browser, requested_backend, backend,
      batch_size, samples, mean_ms, p50_ms, p90_ms, p99_ms, stdev_ms, compute_p50_ms, throughput, memory_mb, is_real_hardware, is_simulated)
    SELECT row_number() OVER (), ts, ts, 1, model, 'vision', browser, 'wasm', 'wasm', batch, 10, lat, lat, lat, lat, 0, lat, thr, 64, true, false
    FROM (
      SELECT 'a' AS model, 'chromium' AS browser, 1 AS batch, (now() - to_hours(10 - p))::TIMESTAMP AS ts,
             CASE WHEN p = 9 THEN 0 ELSE 10 + p END AS lat, CASE WHEN p = 8 THEN NULL ELSE 100 + p END AS thr
      FROM range(10) t(p)
      UNION ALL
      SELECT 'b', 'firefox', 2, (now() - to_hours(5 - least(p, 2)))::TIMESTAMP, 20 + p, 200 + p
      FROM range(4) t(p)
    )`);
  return s;
}

describe('loadTrends', () => {
  it('returns the latest maxPoints points of each series in time order, NULL throughput as null, p50 <= 0 left out', async () => {
    store = await seeded();
    const trends = await loadTrends(store, { days: 1, maxPoints: 5 });
    expect(trends.map((t) => [t.model, t.browser, t.backend, t.batchSize])).toEqual([
      ['a', 'chromium', 'wasm', 1],
      ['b', 'firefox', 'wasm', 2],
    ]);
    const [a, b] = trends;
    expect(a!.points.map((p) => [p.p50, p.throughput])).toEqual([
      [14, 104],
      [15, 105],
      [16, 106],
      [17, 107],
      [18, null],
    ]);
    expect(a!.points.map((p) => p.at)).toEqual([...a!.points.map((p) => p.at)].sort((x, y) => x - y));
    expect(b!.points.map((p) => p.p50).sort()).toEqual([20, 21, 22, 23]);
  });

  it('keeps exactly maxPoints where points tie at the cut-off, and applies the model and browser filters', async () => {
    store = await seeded();
    const [b] = await loadTrends(store, { days: 1, maxPoints: 2, model: 'b' });
    expect(b!.points).toHaveLength(2);
    expect(b!.points.map((p) => p.p50).every((p) => p >= 22)).toBe(true);
    expect(await loadTrends(store, { days: 1, browser: 'chromium' })).toMatchObject([{ model: 'a' }]);
    expect(await loadTrends(store, { days: 1, model: 'none' })).toEqual([]);
  });

  it('refuses a maxPoints that is not a positive integer', async () => {
    store = await seeded();
    await expect(loadTrends(store, { maxPoints: 0 })).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT' });
    await expect(loadTrends(store, { maxPoints: 2.5 })).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT' });
  });
});
