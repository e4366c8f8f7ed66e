/**
 * Every catalogue model type runs in real Chromium on wasm and on webgpu (SwiftShader here) and its outputs equal
 * onnxruntime-node's within 1e-4, the int8 and fp16 weight variants included.
 */
import { ModelCatalogue, runReference } from '@browser-pool/models';
import { ResourcePool } from '@browser-pool/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FP32_TOLERANCE, worstDiff } from './helpers';

const catalogue = ModelCatalogue.default();
const MODELS = [
  ['text_embedding', 'bert-tiny'],
  ['vision', 'vit-tiny'],
  ['audio', 'audio-encoder-tiny'],
  ['audio', 'silero-vad'],
  // reduced-precision variants (bench --precisions): same graph, weights stored as int8 / fp16
  ['vision', 'vit-tiny-int8'],
  ['text_embedding', 'bert-tiny-fp16'],
  ['text_embedding', 'bert-tiny-int4'], // MatMulNBits (com.microsoft) block-quantized weights
] as const;

let pool: ResourcePool;
beforeAll(async () => {
  pool = new ResourcePool({ catalogue });
  await pool.initialize();
});
afterAll(async () => {
  await pool.close();
});

describe.each(['wasm', 'webgpu'] as const)('%s backend', (backend) => {
  it.each(MODELS)('%s model %s equals the onnxruntime-node reference', async (modelType, name) => {
    // int8 x webgpu is a known-wrong-kernel case: the guard would refuse it, this test re-measures it (below)
    const model = await pool.getModel(modelType, name, { backends: [backend], allowKnownWrongKernels: name.endsWith('-int8') });
    expect(model.placement.backend).toBe(backend);
    expect(model.placement.fallbacks).toEqual([]);
    if (backend === 'webgpu') {
      // This machine has no GPU: the adapter must be reported as the software fallback it is.
      expect(model.placement.adapter?.available).toBe(true);
      expect(model.placement.isRealHardware).toBe(false);
      expect(model.placement.softwareReason).toMatch(/fallback|software/);
    }
    const entry = catalogue.get(name);
    for (const batch of [1, 2]) {
      if (name === 'silero-vad' && batch === 2) {continue;}
      const inputs = entry.sampleInputs({ batch, seed: batch });
      const result = await model.run(inputs);
      const int8 = name.endsWith('-int8');
      const reference = await runReference(await entry.source(), inputs, int8 ? 'disabled' : 'all');
      expect(Object.keys(result.outputs).sort()).toEqual(Object.keys(reference).sort());
      if (int8 && backend === 'webgpu') {
        // Known problem, measured: onnxruntime-web 1.30's WebGPU EP returns wrong values for int8 (and uint8)
        // DequantizeLinear weights here (max abs diff 0.8-2.2 on every int8 variant). The sweep planner skips
        // int8 x webgpu for this reason, and the pool keeps int8 weights off webgpu (KNOWN_WRONG_KERNELS case
        // webgpu-dequantize-int8-weights); when this assertion fails, the EP is fixed: drop both and this branch.
        expect(worstDiff(result.outputs, reference)).toBeGreaterThan(0.1);
        continue;
      }
      expect(worstDiff(result.outputs, reference)).toBeLessThanOrEqual(FP32_TOLERANCE);
      expect(result.backend).toBe(backend);
      expect(result.timings.computeMs).toBeGreaterThan(0);
      expect(result.timings.endToEndMs).toBeGreaterThanOrEqual(result.timings.computeMs);
    }
    await model.release();
  });
});
