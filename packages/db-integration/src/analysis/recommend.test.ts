import { describe, expect, it } from 'vitest';

import { type Candidate, recommend } from './recommend';

const c = (model: string, browser: string, backend: string, p50: number, samples = 200, real = true, modelType = 'vision'): Candidate => ({
  modelType,
  model,
  browser,
  backend,
  isRealHardware: real,
  softwareReason: real ? undefined : 'SwiftShader (software)',
  samples,
  p50LatencyMs: p50,
  throughput: undefined,
});

describe('recommend', () => {
  it('picks the fastest real browser/backend per model and per type, with confidence and reason', () => {
    const recs = recommend([
      c('vit', 'chromium', 'webgpu', 2),
      c('vit', 'firefox', 'webgpu', 3),
      c('vit', 'chromium', 'wasm', 6),
      c('vit2', 'chromium', 'webgpu', 19),
      c('vit2', 'firefox', 'webgpu', 18),
      c('vit2', 'chromium', 'wasm', 50),
    ]);
    const vit = recs.find((r) => r.model === 'vit')!;
    expect(vit).toMatchObject({ browser: 'chromium', backend: 'webgpu', p50LatencyMs: 2, samples: 200, confidence: 'high' });
    expect(vit.reason).toContain('50 % faster than firefox/webgpu');
    expect(recs.find((r) => r.model === 'vit2')).toMatchObject({ browser: 'firefox', confidence: 'medium' });
    // Type level: geometric mean of relative latency: chromium/webgpu (1, 1.06) beats firefox/webgpu (1.5, 1).
    expect(recs.find((r) => r.model === undefined && r.modelType === 'vision')).toMatchObject({ browser: 'chromium', backend: 'webgpu' });
  });

  it('uses a software adapter only when nothing real was measured, and says so', () => {
    const withReal = recommend([c('bert', 'chromium', 'webgpu', 1, 200, false, 'text_embedding'), c('bert', 'chromium', 'wasm', 4, 200, true, 'text_embedding')]);
    const bert = withReal.find((r) => r.model === 'bert')!;
    expect(bert).toMatchObject({ backend: 'wasm', isRealHardware: true });
    expect(bert.reason).toContain('excluded software adapters: chromium/webgpu');
    const onlySoftware = recommend([c('bert', 'chromium', 'webgpu', 1, 200, false, 'text_embedding')]).find((r) => r.model === 'bert')!;
    expect(onlySoftware).toMatchObject({ backend: 'webgpu', isRealHardware: false });
    expect(onlySoftware.reason).toContain('not real GPU hardware');
  });

  it('gives low confidence to thin history', () => {
    const [type, model] = recommend([c('a', 'chromium', 'wasm', 1, 10, true, 'audio'), c('a', 'firefox', 'wasm', 1.02, 10, true, 'audio')]);
    expect(type?.confidence).toBe('low');
    expect(model?.confidence).toBe('low');
  });
});
