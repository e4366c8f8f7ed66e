import { describe, expect, it } from 'vitest';

import { detectLimits, explainRecommendation, type LimitRow } from './limits';

const row = (model: string, browser: string, backend: string, batchSize: number, p50Ms: number, real = true): LimitRow => ({
  modelType: model === 'vit-tiny' ? 'vision' : 'text_embedding',
  model,
  browser,
  backend,
  batchSize,
  p50Ms,
  isRealHardware: real,
  softwareReason: real ? undefined : 'SwiftShader software adapter',
});

// The sweep that prompted this: Firefox WebGPU at 100.0-100.2 ms for every model and batch size.
const sweep: LimitRow[] = [
  row('bert-tiny', 'firefox', 'webgpu', 1, 100.1), row('bert-tiny', 'firefox', 'webgpu', 4, 100.2),
  row('vit-tiny', 'firefox', 'webgpu', 1, 100.0), row('vit-tiny', 'firefox', 'webgpu', 4, 100.15),
  row('bert-tiny', 'chromium', 'wasm', 1, 1.9), row('bert-tiny', 'chromium', 'wasm', 4, 6.8),
  row('vit-tiny', 'chromium', 'wasm', 1, 18.5), row('vit-tiny', 'chromium', 'wasm', 4, 70.2),
];

describe('detectLimits', () => {
  it('names the 100 ms timer for Firefox WebGPU and nothing for a backend whose latency follows the work', () => {
    const limits = detectLimits(sweep);
    expect(limits).toHaveLength(1);
    expect(limits[0]).toMatchObject({ kind: 'timer', browser: 'firefox', backend: 'webgpu', model: undefined, modelTypes: ['text_embedding', 'vision'] });
    expect(limits[0]!.detail).toMatch(/^p50 100\.0–100\.2 ms for every model and batch size measured \(2 model\(s\), batch 1\/4\): quantized to a 100 ms timer: Firefox polls/);
  });

  it('names a timer on multiples of the period, a shared level with no known period, and neither below three configurations', () => {
    const ticks = detectLimits([row('a', 'x', 'webgpu', 1, 100.3), row('b', 'x', 'webgpu', 1, 199.6), row('c', 'x', 'webgpu', 1, 300.9)]);
    expect(ticks.map((l) => l.kind)).toEqual(['timer']);
    expect(ticks[0]!.detail).toContain('100 ms timer');
    const level = detectLimits([row('a', 'x', 'webnn', 1, 42.0), row('b', 'x', 'webnn', 1, 42.5), row('b', 'x', 'webnn', 2, 42.8)]);
    expect(level.map((l) => l.kind)).toEqual(['timer']);
    expect(level[0]!.detail).toMatch(/fixed wait, not the model's work/);
    expect(detectLimits([row('a', 'x', 'webgpu', 1, 100.1), row('b', 'x', 'webgpu', 1, 100.1)])).toEqual([]);
    // off the ticks by more than 1 % and spread over 2 %: the work shows, no limit
    expect(detectLimits([row('a', 'x', 'webgpu', 1, 100.1), row('b', 'x', 'webgpu', 1, 103), row('c', 'x', 'webgpu', 1, 250)])).toEqual([]);
  });

  it('names latency flat across batch sizes per model, only where the batch grows at least 2x', () => {
    const limits = detectLimits([
      row('bert-tiny', 'chromium', 'webgpu', 1, 3.0), row('bert-tiny', 'chromium', 'webgpu', 4, 3.2),
      row('vit-tiny', 'chromium', 'webgpu', 1, 9.0), row('vit-tiny', 'chromium', 'webgpu', 4, 30.0),
      row('vit-tiny', 'chromium', 'wasm', 2, 9.0), row('vit-tiny', 'chromium', 'wasm', 3, 9.1),
    ]);
    expect(limits).toEqual([{
      kind: 'flat_batch', browser: 'chromium', backend: 'webgpu', model: 'bert-tiny', modelTypes: ['text_embedding'],
      detail: 'p50 3.0 ms at batch 1 and 3.2 ms at batch 4: flat while the work grows 4×, so per-call overhead sets the latency (compare throughput)',
    }]);
  });

  it('names a software adapter once per browser/backend', () => {
    const limits = detectLimits([row('bert-tiny', 'chromium', 'webgpu', 1, 14, false), row('bert-tiny', 'chromium', 'webgpu', 4, 56, false), row('vit-tiny', 'chromium', 'webgpu', 1, 35, false)]);
    expect(limits).toEqual([{
      kind: 'software_adapter', browser: 'chromium', backend: 'webgpu', model: undefined, modelTypes: ['text_embedding', 'vision'],
      detail: 'ran on a software adapter (SwiftShader software adapter): real execution on the CPU, says nothing of GPU speed',
    }]);
  });
});

describe('explainRecommendation', () => {
  const limits = detectLimits([...sweep, row('bert-tiny', 'chromium', 'webgpu', 1, 3.0), row('bert-tiny', 'chromium', 'webgpu', 4, 3.1)]);

  it('puts the recommended browser/backend first, then the others measured for that model or type', () => {
    const lines = explainRecommendation({ modelType: 'text_embedding', model: 'bert-tiny', browser: 'chromium', backend: 'webgpu' }, limits);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^chromium\/webgpu \(bert-tiny\): p50 3\.0 ms at batch 1/);
    expect(lines[1]).toMatch(/^firefox\/webgpu: p50 100\.0–100\.2 ms/);
    expect(explainRecommendation({ modelType: 'vision', model: 'vit-tiny', browser: 'chromium', backend: 'wasm' }, limits)).toEqual([expect.stringMatching(/^firefox\/webgpu: /)]);
    expect(explainRecommendation({ modelType: 'audio', browser: 'chromium', backend: 'wasm' }, limits)).toEqual([]);
  });
});
