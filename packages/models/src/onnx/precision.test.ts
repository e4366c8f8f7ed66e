import { statSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ModelCatalogue } from '../catalogue';
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
  it.each(['bert-tiny', 'vit-tiny', 'audio-encoder-tiny'])('%s: int8 and fp16 files are smaller and compute nearly the same outputs', async (name) => {
    const base = catalogue.get(name);
    const inputs = base.sampleInputs({ batch: 2 });
    const source = await base.source();
    const reference = Object.values(await runReference(source, inputs))[0]!.data as Float32Array;
    const size = (s: typeof source) => (s.kind === 'file' ? statSync(s.path).size : 0);
    for (const [precision, maxSize, tolerance] of [['fp16', 0.6, 0.01], ['int8', 0.45, 0.08]] as const) {
      const variant = catalogue.get(`${name}-${precision}`);
      expect(variant.modelType).toBe(base.modelType);
      const vSource = await variant.source();
      expect(size(vSource) / size(source), precision).toBeLessThan(maxSize);
      const out = Object.values(await runReference(vSource, inputs))[0]!.data as Float32Array;
      let worst = 0;
      const scale = Math.max(...reference.map(Math.abs));
      reference.forEach((r, i) => {
        worst = Math.max(worst, Math.abs(r - out[i]!) / scale);
      });
      expect(worst, precision).toBeLessThan(tolerance);
      expect(worst, precision).toBeGreaterThan(0); // the weights really changed
    }
  });
});
