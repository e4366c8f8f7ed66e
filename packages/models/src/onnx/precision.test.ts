import { statSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ModelCatalogue } from '../catalogue';
import { accuracyOf, PRECISION_TOLERANCE, withinTolerance } from '../precision/accuracy';
import { runReference } from '../reference';
import { toFloat16Bits } from './graph-builder';

describe('toFloat16Bits', () => {
  it('encodes known values (round to nearest even, subnormals, overflow)', () => {
    expect([1, -2, 0.5, 65504, 0.1, 1e-8, 6e-8, 70000, 0, 2049].map(toFloat16Bits)).toEqual([
      0x3c00, 0xc000, 0x3800, 0x7bff, 0x2e66, 0x0000, 0x0001, 0x7c00, 0x0000, 0x6800,
    ]);
  });
});

describe('reduced-precision variants', () => {
  const catalogue = ModelCatalogue.default();
  it.each(['bert-tiny', 'vit-tiny', 'audio-encoder-tiny'])('%s: fp16, int8, int4 and int2 files are smaller and within their documented tolerance', async (name) => {
    const base = catalogue.get(name);
    const inputs = base.sampleInputs({ batch: 2 });
    const source = await base.source();
    const reference = Object.values(await runReference(source, inputs))[0]!.data as Float32Array;
    const size = (s: typeof source) => (s.kind === 'file' ? statSync(s.path).size : 0);
    // int4 / int2 quantize MatMul weights only (embeddings and convolutions stay fp32, as onnxruntime's quantizer
    // leaves them), so the tiny models, whose embeddings dominate, shrink less than at int8.
    const sizes: Record<string, number> = {};
    for (const [precision, maxSize] of [['fp16', 0.6], ['int8', 0.45], ['int4', 0.65], ['int2', 0.6]] as const) {
      const variant = catalogue.get(`${name}-${precision}`);
      expect(variant.modelType).toBe(base.modelType);
      const vSource = await variant.source();
      sizes[precision] = size(vSource);
      expect(size(vSource) / size(source), precision).toBeLessThan(maxSize);
      const out = Object.values(await runReference(vSource, inputs, 'disabled'))[0]!.data as Float32Array;
      const accuracy = accuracyOf(reference, out);
      expect(withinTolerance(precision, accuracy), `${precision} ${JSON.stringify(accuracy)} vs ${JSON.stringify(PRECISION_TOLERANCE[precision])}`).toBe(true);
      expect(accuracy.maxAbs, precision).toBeGreaterThan(0); // the weights really changed
    }
    expect(sizes.int2).toBeLessThan(sizes.int4!);
  });
});

describe('accuracyOf', () => {
  it('gives max abs error, its ratio to the reference scale and the cosine', () => {
    expect(accuracyOf([1, -2, 0], [1, -2, 0])).toEqual({ maxAbs: 0, relMaxAbs: 0, cosine: 1 });
    const a = accuracyOf([2, 0], [2, 1]);
    expect(a.maxAbs).toBe(1);
    expect(a.relMaxAbs).toBe(0.5);
    expect(a.cosine).toBeCloseTo(2 / Math.sqrt(5), 12);
    expect(accuracyOf([1, 2], [1, Number.NaN]).maxAbs).toBe(Infinity);
    expect(accuracyOf([1, 2], [1])).toEqual({ maxAbs: Infinity, relMaxAbs: Infinity, cosine: 0 });
  });
});
