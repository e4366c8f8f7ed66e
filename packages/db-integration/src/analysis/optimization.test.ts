import { describe, expect, it } from 'vitest';

import { flagImpact, type ImpactRow } from './optimization';

const row = (on: boolean, p50: number, init: number): ImpactRow => ({
  model: 'vit',
  browser: 'chromium',
  backend: 'webgpu',
  batchSize: 1,
  flags: { compute_shader_optimized: null, precompile_shaders: on, parallel_loading: null, mixed_precision: null },
  values: { init_ms: init, first_run_ms: null, p50_ms: p50, memory_mb: null },
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
});
