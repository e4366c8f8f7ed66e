/**
 * The known-wrong-kernel table against real Chromium: the Slice case still computes wrong values on WebGPU in this
 * onnxruntime-web (so the table notices an upstream fix: these assertions then fail; test/correctness.test.ts does
 * the same for the int8 case), and the guard keeps models
 * that hit a case off that backend (placed on wasm with the reason, or E_KNOWN_WRONG_KERNEL when pinned), recorded
 * in the compatibility matrix. Silero VAD legacy is the real model nobody here wrote.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { TensorMap } from '@browser-pool/browser-harness';
import { createPool } from '@browser-pool/cli';
import { Store } from '@browser-pool/db-integration';
import { buildSliceProbe, maxAbsDiff, Rng, runReference, type SliceProbe } from '@browser-pool/models';
import type { ResourcePool } from '@browser-pool/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FP32_TOLERANCE, worstDiff } from './helpers';

const require = createRequire(import.meta.url);
const LEGACY = path.join(path.dirname(require.resolve('@ricky0123/vad-web')), 'silero_vad_legacy.onnx');
const legacyInputs = (seed: number): TensorMap => ({
  input: { dtype: 'float32', dims: [1, 512], data: new Rng(seed).floats(512, 0.3) },
  sr: { dtype: 'int64', dims: [], data: new BigInt64Array([16000n]) },
  h: { dtype: 'float32', dims: [2, 1, 64], data: new Float32Array(128) },
  c: { dtype: 'float32', dims: [2, 1, 64], data: new Float32Array(128) },
});
/** Wrong means: another shape, or a value off by more than this. */
const WRONG = 1e-3;

const dir = mkdtempSync(path.join(tmpdir(), 'bp-known-wrong-'));
const dbPath = path.join(dir, 'bench.duckdb');
let pool: ResourcePool;
let webgpu: string | undefined; // why WebGPU is absent, when it is

beforeAll(async () => {
  pool = await createPool({ browsers: ['chromium'], health: { knownAnswerIntervalMs: 0 }, db: { flushIntervalMs: 100 }, dbPath });
  await pool.initialize();
  const gpu = pool.connections[0]!.capabilities.webgpu;
  webgpu = gpu.available ? undefined : `no WebGPU adapter in this Chromium (${gpu.reason})`;
}, 120_000);

afterAll(async () => {
  await pool?.close();
  rmSync(dir, { recursive: true, force: true });
});

const PROBES: [string, number[], SliceProbe][] = [
  ['full reversal of a vector', [8], { starts: [-1], axes: [0], steps: [-1] }],
  ['full reversal of the last axis', [2, 3, 8], { starts: [-1], axes: [-1], steps: [-1] }],
  ['partial reversal', [2, 3, 8], { starts: [6], ends: [1], axes: [2], steps: [-1] }],
];

describe('webgpu-slice-negative-steps', () => {
  it.for(PROBES)('%s: WebGPU still differs from the reference (the table claim), wasm equals it, the guard picks wasm', async ([label, dims, probe], ctx) => {
    if (webgpu !== undefined) {
      ctx.skip(webgpu);
    }
    const bytes = buildSliceProbe(dims, probe);
    const n = dims.reduce((a, b) => a * b, 1);
    const inputs: TensorMap = { x: { dtype: 'float32', dims, data: new Rng(5).floats(n) } };
    const reference = (await runReference({ kind: 'bytes', bytes }, inputs)).y!;
    const name = `slice-probe-${PROBES.findIndex((p) => p[0] === label)}`;
    const pinned = await pool.getModel({ bytes, name }, { backends: ['webgpu'], allowKnownWrongKernels: true });
    expect(pinned.placement.backend).toBe('webgpu');
    const wrong = (await pinned.run(inputs)).outputs.y!;
    expect(maxAbsDiff(wrong, reference), `${label}: fixed upstream? drop the case from KNOWN_WRONG_KERNELS`).toBeGreaterThan(WRONG);
    await pinned.release();

    await expect(pool.getModel({ bytes, name }, { backends: ['webgpu'] })).rejects.toMatchObject({
      code: 'E_KNOWN_WRONG_KERNEL',
      message: expect.stringMatching(/webgpu-slice-negative-steps \(1 node/) as unknown,
    });
    const guarded = await pool.getModel({ bytes, name });
    expect(guarded.placement.backend).toBe('wasm');
    expect(guarded.placement.fallbacks).toEqual([{ backend: 'webgpu', code: 'E_KNOWN_WRONG_KERNEL', reason: expect.stringContaining('Slice kernel mishandles negative steps') as unknown }]);
    expect(maxAbsDiff((await guarded.run(inputs)).outputs.y!, reference)).toBe(0);
    await guarded.release();
  });
});

describe('silero VAD legacy (a real model with reversing Slices in If branches)', () => {
  it('pinned to WebGPU: E_KNOWN_WRONG_KERNEL naming the case; default backends: placed on wasm with the reason, outputs equal the reference', async () => {
    await expect(pool.getModel({ path: LEGACY, name: 'silero-vad-legacy', modelType: 'audio' }, { backends: ['webgpu'] })).rejects.toMatchObject({
      code: 'E_KNOWN_WRONG_KERNEL',
      details: { fallbacks: [{ backend: 'webgpu', code: 'E_KNOWN_WRONG_KERNEL' }] },
      message: expect.stringMatching(/webgpu-slice-negative-steps \(4 nodes, e\.g\. Slice_\d+/) as unknown,
    });
    const model = await pool.getModel({ path: LEGACY, name: 'silero-vad-legacy', modelType: 'audio' });
    expect(model.placement.backend).toBe('wasm');
    expect(model.placement.fallbacks.map((f) => [f.backend, f.code])).toEqual([['webgpu', 'E_KNOWN_WRONG_KERNEL']]);
    const inputs = legacyInputs(3);
    expect(worstDiff((await model.run(inputs)).outputs, await runReference({ kind: 'file', path: LEGACY }, inputs))).toBeLessThanOrEqual(FP32_TOLERANCE);
    await model.release();
  });

  it('the compatibility matrix records webgpu as failing with the case, wasm as working', async () => {
    await pool.close();
    const store = await Store.open({ path: dbPath });
    try {
      const rows = await store.all<{ backend: string; is_compatible: boolean; error_code: string | null; error_message: string | null }>(
        "SELECT backend, is_compatible, error_code, error_message FROM compatibility_matrix WHERE model_name = 'silero-vad-legacy' ORDER BY backend",
      );
      expect(rows.map((r) => [r.backend, r.is_compatible, r.error_code])).toEqual([
        ['wasm', true, null],
        ['webgpu', false, 'E_KNOWN_WRONG_KERNEL'],
      ]);
      expect(rows[1]!.error_message).toMatch(/webgpu-slice-negative-steps/);
    } finally {
      store.close();
    }
  });
});
