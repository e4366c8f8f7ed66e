/**
 * One model across connections, in real Chromium: bert-tiny cut into 2 and 3 stages (models package graph cut),
 * the stages loaded through the pool on two pages and a backend mix, requests run with several in flight; every
 * output equals the whole model's onnxruntime-node reference within 1e-4.
 */
import { inspectGraph, loadModelBytes, ModelCatalogue, runReference } from '@browser-pool/models';
import { ModelPipeline, ResourcePool } from '@browser-pool/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { collect, FP32_TOLERANCE, worstDiff } from './helpers';

const catalogue = ModelCatalogue.default();
const entry = catalogue.get('bert-tiny');
let pool: ResourcePool;
let bytes: Uint8Array;
let cuts: string[][];

beforeAll(async () => {
  pool = new ResourcePool({ catalogue, browsers: ['chromium', 'chromium'], health: { knownAnswerIntervalMs: 0 }, scaling: { minConnections: 2, maxConnections: 2 } });
  await pool.initialize();
  bytes = await loadModelBytes(await entry.source());
  // the model's LayerNormalization outputs, found by reading the graph: ln1 and ln2 of its one layer, then the final one
  cuts = inspectGraph(bytes).nodes.filter((n) => n.opType === 'LayerNormalization').map((n) => [n.outputs[0]!]);
}, 120_000);

afterAll(async () => {
  await pool?.close();
});

describe('ModelPipeline', () => {
  it('2 stages on wasm: 8 requests, 3 in flight, each equal to the whole model', async () => {
    const pipeline = await ModelPipeline.load(pool, bytes, { name: 'bert-tiny-2', cuts: [cuts[1]!], modelType: 'text_embedding', backends: [['wasm'], ['wasm']] });
    expect(pipeline.stages).toHaveLength(2);
    const requests = Array.from({ length: 8 }, (_, i) => entry.sampleInputs({ batch: 1 + (i % 2), seed: 10 + i }));
    const results = await pipeline.runAll(requests, 3);
    for (const [i, r] of results.entries()) {
      expect(Object.keys(r.outputs)).toEqual(['embedding']);
      expect(r.stageMs).toHaveLength(2);
      expect(worstDiff(r.outputs, await runReference(await entry.source(), requests[i]!))).toBeLessThanOrEqual(FP32_TOLERANCE);
    }
    await pipeline.release();
  });

  it('3 stages, the middle one on webgpu (a backend mix), equal to the whole model', async (ctx) => {
    if (!pool.connections[0]!.capabilities.webgpu.available) {
      ctx.skip('no WebGPU adapter in this Chromium');
    }
    const pipeline = await ModelPipeline.load(pool, bytes, { name: 'bert-tiny-3', cuts: [cuts[0]!, cuts[1]!], backends: [['wasm'], ['webgpu'], ['wasm']] });
    expect(pipeline.placements.map((p) => p.backend)).toEqual(['wasm', 'webgpu', 'wasm']);
    const inputs = entry.sampleInputs({ batch: 2, seed: 4 });
    const { outputs } = await pipeline.run(inputs);
    expect(worstDiff(outputs, await runReference(await entry.source(), inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
    await pipeline.release();
  });

  it('refuses no cuts and a missing input with E_INVALID_INPUT', async () => {
    await expect(ModelPipeline.load(pool, bytes, { name: 'none', cuts: [] })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' });
    const pipeline = await ModelPipeline.load(pool, bytes, { name: 'bert-tiny-bad', cuts: [cuts[1]!], backends: [['wasm'], ['wasm']] });
    await expect(pipeline.run({})).rejects.toMatchObject({ code: 'E_INVALID_INPUT', message: expect.stringMatching(/input "input_ids" missing/) as unknown });
    await pipeline.release();
  });

  it('a page SIGKILLed with requests in the pipeline: every request completes equal to the reference (the lost stage calls are retried on the other page, which loads the stage)', async () => {
    const pipeline = await ModelPipeline.load(pool, bytes, { name: 'bert-tiny-fault', cuts: [cuts[1]!], backends: [['wasm'], ['wasm']] });
    const requests = Array.from({ length: 24 }, (_, i) => entry.sampleInputs({ batch: 1, seed: 40 + i }));
    await pipeline.runAll(requests.slice(0, 4), 4); // both stages warm on both pages
    const retries = collect(pool, 'inference:retry');
    const victim = pool.connections[0]!;
    const all = pipeline.runAll(requests, 4);
    await expect.poll(() => victim.outstanding, { interval: 1, timeout: 10_000 }).toBeGreaterThan(0); // calls in flight there
    victim.connection.faults.killBrowser();
    const results = await all;
    expect(retries.some((r) => r.fromConnectionId === victim.id && r.code === 'E_CONNECTION_LOST')).toBe(true); // the kill hit calls in flight
    for (const [i, r] of results.entries()) {
      expect(worstDiff(r.outputs, await runReference(await entry.source(), requests[i]!))).toBeLessThanOrEqual(FP32_TOLERANCE);
    }
    await pipeline.release();
  });
});
