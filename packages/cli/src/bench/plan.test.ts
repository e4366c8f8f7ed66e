import { Store } from '@browser-pool/db-integration';
import { describe, expect, it } from 'vitest';

import { type BenchConfig, configKey, NO_FLAGS, parseConfigsCsv } from './config';
import { availabilityKey, planCsv, planSweep, storedResults } from './plan';
import { stabilityVerdict } from './stability';

const cfg = (over: Partial<BenchConfig> = {}): BenchConfig => ({ model: 'bert-tiny', browser: 'chromium', backend: 'wasm', batchSize: 1, precision: 'fp32', flags: NO_FLAGS, priority: false, ...over });
const everything = { stored: new Map<string, Date>(), unavailable: new Map<string, string>(), hasVariant: () => true };
const now = new Date('2026-11-23T12:00:00Z');

describe('planSweep', () => {
  it('skips unavailable browsers/backends, missing variants and flags with no effect, with reasons', () => {
    const plan = planSweep(
      [cfg(), cfg({ browser: 'edge' }), cfg({ precision: 'int8' }), cfg({ model: 'vit-tiny', precision: 'int8', backend: 'webgpu' }), cfg({ flags: { ...NO_FLAGS, computeShaderOptimized: true } }), cfg({ backend: 'webgpu', flags: { ...NO_FLAGS, computeShaderOptimized: true } }), cfg()],
      {
        ...everything,
        unavailable: new Map([[availabilityKey('edge', 'wasm'), 'Edge is not installed']]),
        hasVariant: (m, p) => p !== 'int8' || m === 'vit-tiny',
        knownWrong: (m, p, b) => (p === 'int8' && b === 'webgpu' ? `known-wrong kernel on webgpu: ${m}` : undefined),
      },
      { now },
    );
    expect(plan.map((p) => [p.action, p.reason])).toEqual([
      ['run', 'no stored result'],
      ['skip', 'unavailable here: Edge is not installed'],
      ['skip', 'no int8 variant of bert-tiny in the catalogue'],
      ['skip', 'known-wrong kernel on webgpu: vit-tiny'],
      ['skip', 'compute-shader options apply to the WebGPU EP only; no effect on wasm'],
      ['run', 'no stored result'],
    ]); // the duplicate configuration is planned once
  });

  it('--missing-only skips fresh results and re-runs stale ones; --priority-only keeps the priority subset', () => {
    const stored = new Map([
      [configKey(cfg({ batchSize: 1 })), new Date('2026-11-22T12:00:00Z')],
      [configKey(cfg({ batchSize: 2 })), new Date('2026-11-01T12:00:00Z')],
    ]);
    const configs = [cfg({ batchSize: 1 }), cfg({ batchSize: 2 }), cfg({ batchSize: 4, priority: true })];
    expect(planSweep(configs, { ...everything, stored }, { now }).map((p) => p.action)).toEqual(['run', 'run', 'run']);
    // a refresh age alone implies --missing-only: the 1-day-old result is skipped, the 22-day-old one re-run
    expect(planSweep(configs, { ...everything, stored }, { now, refreshOlderThanDays: 7 }).map((p) => [p.action, p.reason])).toEqual([
      ['skip', 'stored 2026-11-22T12:00:00.000Z (1.0 days old)'],
      ['run', 'stale: stored 22.0 days ago'],
      ['run', 'no stored result'],
    ]);
    const missing = planSweep(configs, { ...everything, stored }, { now, missingOnly: true });
    expect(missing.map((p) => [p.action, p.reason])).toEqual([
      ['skip', 'stored 2026-11-22T12:00:00.000Z (1.0 days old)'],
      ['skip', 'stored 2026-11-01T12:00:00.000Z (22.0 days old)'],
      ['run', 'no stored result'],
    ]);
    const refresh = planSweep(configs, { ...everything, stored }, { now, missingOnly: true, refreshOlderThanDays: 7 });
    expect(refresh.map((p) => p.action)).toEqual(['skip', 'run', 'run']);
    expect(refresh[1]?.reason).toBe('stale: stored 22.0 days ago');
    expect(planSweep(configs, everything, { now, priorityOnly: true }).map((p) => p.action)).toEqual(['skip', 'skip', 'run']);
  });

  it('reads stored results from a crafted database (variants map back to model + precision)', async () => {
    const store = await Store.open({ path: ':memory:' });
    try {
      await store.run(`INSERT INTO models VALUES (1, 'bert-tiny', 'text_embedding', null, null, null, null, now()), (2, 'bert-tiny-int8', 'text_embedding', null, null, null, null, now());
        INSERT INTO hardware_platforms (hardware_id, hardware_key, browser, backend, is_real_hardware, added_at) VALUES (1, 'k1', 'chromium', 'wasm', true, now());
        INSERT INTO performance_results (result_id, model_id, hardware_id, batch_size, precision, requested_backend, precompile_shaders, p50_latency_ms, is_simulated, created_at) VALUES
          (1, 1, 1, 1, 'fp32', 'wasm', false, 5, false, '2026-11-01 00:00:00'), (2, 1, 1, 1, 'fp32', 'wasm', false, 5, false, '2026-11-20 00:00:00'),
          (3, 2, 1, 4, 'int8', 'wasm', true, 5, false, '2026-11-21 00:00:00');`);
      const stored = await storedResults(store);
      expect([...stored.entries()].map(([k, d]) => [k, d.toISOString()]).sort()).toEqual([
        [configKey(cfg()), '2026-11-20T00:00:00.000Z'],
        [configKey(cfg({ precision: 'int8', batchSize: 4, flags: { ...NO_FLAGS, precompileShaders: true } })), '2026-11-21T00:00:00.000Z'],
      ].sort());
    } finally {
      store.close();
    }
  });

  it('round-trips through the configs CSV and rejects bad rows with the line', () => {
    const plan = planSweep([cfg({ precision: 'fp16', flags: { ...NO_FLAGS, parallelLoading: true }, priority: true })], everything, { now });
    const csv = planCsv(plan);
    expect(csv.split('\n')[0]).toBe('model,browser,backend,batch_size,precision,compute-shaders,precompile,parallel-loading,priority,action,reason');
    // a flag has one name in and out (the plan CSV reads back below); files with the database's column names still read
    expect(parseConfigsCsv('model,browser,backend,batch_size,precompile_shaders\nbert-tiny,chromium,wasm,1,true\n')[0]!.flags.precompileShaders).toBe(true);
    expect(parseConfigsCsv(csv)).toEqual([plan[0]?.config]);
    expect(parseConfigsCsv('model,browser,backend,batch_size\nvit-tiny,firefox,webgpu,8\n')).toEqual([cfg({ model: 'vit-tiny', browser: 'firefox', backend: 'webgpu', batchSize: 8 })]);
    expect(() => parseConfigsCsv('model,browser\nx,chromium')).toThrow(/missing backend/);
    expect(() => parseConfigsCsv('model,browser,backend,batch_size\nx,safari,wasm,1')).toThrow(/line 2 browser: expected one of chromium, firefox, edge/);
    expect(() => parseConfigsCsv('model,browser,backend,batch_size\nx,chromium,wasm,0')).toThrow(/line 2: batch_size must be a positive integer/);
  });
});

describe('stabilityVerdict', () => {
  const rule = { minIterations: 10, maxIterations: 30, window: 5, tolerancePct: 5 };
  it('waits for min iterations, stops when two windows agree, caps and says unstable', () => {
    expect(stabilityVerdict(Array(9).fill(10), rule)).toEqual({ done: false });
    expect(stabilityVerdict(Array(10).fill(10), rule)).toEqual({ done: true, stable: true, changePct: 0 });
    const drifting = Array.from({ length: 20 }, (_, i) => 10 + i);
    expect(stabilityVerdict(drifting, rule)).toEqual({ done: false });
    const capped = stabilityVerdict(Array.from({ length: 30 }, (_, i) => 10 + i), rule);
    expect(capped).toMatchObject({ done: true, stable: false });
    // last two windows: medians 12 and 12.5 -> 4.17 % <= 5 %
    expect(stabilityVerdict([1, 50, 3, 40, 2, 12, 11, 13, 12, 14, 12.5, 12.5, 11, 14, 13], rule)).toMatchObject({ done: true, stable: true });
  });
});

describe('knownWrongLookup', () => {
  it('reads each variant graph: int8 weights are known wrong on webgpu in 1.30, not on wasm, not in 1.31; fp32 and int4 are not', async () => {
    const { ModelCatalogue } = await import('@browser-pool/models');
    const { knownWrongLookup } = await import('./known-wrong');
    const configs = [cfg({ precision: 'int8' }), cfg({ precision: 'int4' }), cfg()];
    const at130 = await knownWrongLookup(ModelCatalogue.default(), configs, '1.30.0');
    expect(at130('bert-tiny', 'int8', 'webgpu')).toMatch(/^known-wrong kernel on webgpu in onnxruntime-web 1\.30\.0: webgpu-dequantize-int8-weights \(\d+ nodes/);
    expect(at130('bert-tiny', 'int8', 'wasm')).toBeUndefined();
    expect(at130('bert-tiny', 'int4', 'webgpu')).toBeUndefined();
    expect(at130('bert-tiny', 'fp32', 'webgpu')).toBeUndefined();
    expect((await knownWrongLookup(ModelCatalogue.default(), configs, '1.31.0'))('bert-tiny', 'int8', 'webgpu')).toBeUndefined();
  });
});
