import { describe, expect, it } from 'vitest';

import { flagImpact, type ImpactRow, MIN_RUNS_PER_ARM } from './optimization';

const row = (on: boolean, p50: number, init: number): ImpactRow => ({
  model: 'vit',
  browser: 'chromium',
  backend: 'webgpu',
  batchSize: 1,
  flags: { compute_shader_optimized: null, precompile_shaders: on, parallel_loading: null, mixed_precision: null },
  values: { init_ms: init, first_run_ms: null, p50_ms: p50, memory_mb: null, group_load_ms: null },
});

describe('flagImpact', () => {
  it('gives the on/off ratio of medians with an interval, per metric, and only where both sides were measured', () => {
    const rows = [10, 11, 9, 10, 10.5].flatMap((v, i) => [row(true, v, 100 + i), row(false, 2 * v, 100 + i)]);
    const impact = flagImpact(rows);
    const p50 = impact.find((i) => i.metric === 'p50_ms')!;
    expect(p50).toMatchObject({ flag: 'precompile_shaders', on: 10, off: 20, ratio: 0.5, nOn: 5, nOff: 5 });
    expect(p50.interval[1]).toBeLessThan(1);
    const init = impact.find((i) => i.metric === 'init_ms')!;
    expect(init.ratio).toBe(1);
    expect(init.interval[0]).toBeLessThanOrEqual(1);
    expect(init.interval[1]).toBeGreaterThanOrEqual(1);
    expect(impact.filter((i) => i.metric === 'first_run_ms' || i.flag !== 'precompile_shaders')).toEqual([]);
  });

  it('says "too few runs" with the counts below the minimum, names the flag as --flags does, shows the other flags', () => {
    const rows = [10, 11, 9].flatMap((v) => [row(true, v, 100), row(false, 2 * v, 100)]).map((r) => ({ ...r, flags: { ...r.flags, compute_shader_optimized: false }, orderSeed: 7 }));
    const p50 = flagImpact(rows).find((i) => i.metric === 'p50_ms' && i.flag === 'precompile_shaders')!;
    expect(p50).toMatchObject({ name: 'precompile', otherFlags: 'compute-shaders=off', nOn: 3, nOff: 3, verdict: 'too few runs', balancedRuns: 6 });
    expect(p50.note).toBe(`too few runs: 3 on / 3 off, need ${MIN_RUNS_PER_ARM} per arm (bench --repeats ${MIN_RUNS_PER_ARM})`);
    // rows without a stored arm-order seed are counted and named
    const old = flagImpact([...rows.map((r) => ({ ...r, orderSeed: null })), ...rows.map((r) => ({ ...r, orderSeed: null }))]).find((i) => i.metric === 'p50_ms')!;
    expect(old.verdict).toBe('better');
    expect(old.note).toBe('12 of 12 runs from sweeps without a randomized arm order');
  });
});
