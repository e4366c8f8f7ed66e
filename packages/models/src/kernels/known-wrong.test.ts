import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { ModelCatalogue } from '../catalogue';
import { GraphBuilder } from '../onnx/graph-builder';
import { Rng } from '../random';
import { loadModelBytes } from '../sources';
import { inspectGraph } from './graph';
import { describeHits, hitsOn, inOrtRange, knownWrongHits } from './known-wrong';
import { buildSliceProbe } from './probes';

const catalogue = ModelCatalogue.default();
const vadFile = async (name: string): Promise<Uint8Array> => {
  const source = await catalogue.get('silero-vad').source();
  return readFile((source as { path: string }).path.replace('silero_vad_v5', name));
};
const ids = (bytes: Uint8Array): string[] => knownWrongHits(inspectGraph(bytes)).map((h) => h.caseId);

describe('knownWrongHits', () => {
  it('finds the negative-step Slices of silero VAD legacy (inside If branches) and none in v5 / v6, whose reversal folds as a constant', async () => {
    const legacy = knownWrongHits(inspectGraph(await vadFile('silero_vad_legacy')));
    expect(legacy.length).toBe(4);
    expect(new Set(legacy.map((h) => `${h.caseId}|${h.backend}`))).toEqual(new Set(['webgpu-slice-negative-steps|webgpu']));
    expect(ids(await vadFile('silero_vad_v5'))).toEqual([]);
    expect(ids(await vadFile('silero_vad_v6'))).toEqual([]);
  });

  it('finds int8 DequantizeLinear weights in the int8 variants and nothing in fp32, fp16, int4', async () => {
    const bytes = async (name: string) => loadModelBytes(await catalogue.get(name).source());
    expect(new Set(ids(await bytes('vit-tiny-int8')))).toEqual(new Set(['webgpu-dequantize-int8-weights']));
    for (const name of ['vit-tiny', 'bert-tiny-fp16', 'bert-tiny-int4']) {
      expect(ids(await bytes(name)), name).toEqual([]);
    }
  });

  it('flags a Slice by its steps: negative from an initializer or a Constant node, not positive, not over constant data', () => {
    expect(ids(buildSliceProbe([2, 8], { starts: [-1], axes: [1], steps: [-1] }))).toEqual(['webgpu-slice-negative-steps']);
    expect(ids(buildSliceProbe([2, 8], { starts: [0], axes: [1], steps: [2] }))).toEqual([]);
    // a Constant node carrying the steps tensor (value attribute), as exporters write them
    const withConstant = (value: number, dataFromInput: boolean): Uint8Array => {
      const b = new GraphBuilder('c', new Rng(1));
      const data = dataFromInput ? b.input('x', 'float32', [4]) : b.constant('k', new Float32Array(4), [4]);
      const s = b.constantNode([value]);
      b.output(b.op('Slice', [data, b.ints([-1]), b.ints([-100]), b.ints([0]), s]), 'y', 'float32', [4]);
      return b.toBytes();
    };
    expect(ids(withConstant(-1, true))).toEqual(['webgpu-slice-negative-steps']);
    expect(ids(withConstant(-1, false))).toEqual([]); // folded before any kernel runs
    expect(ids(withConstant(1, true))).toEqual([]);
  });

  it('applies a hit only on its backend and onnxruntime-web range; an unreadable version counts as in range', () => {
    const hits = knownWrongHits(inspectGraph(buildSliceProbe([8], { starts: [-1], axes: [0], steps: [-1] })));
    expect(hitsOn(hits, 'webgpu', '1.30.0')).toHaveLength(1);
    expect(hitsOn(hits, 'webgpu', '1.30.2-dev')).toHaveLength(1);
    expect(hitsOn(hits, 'webgpu', 'unknown')).toHaveLength(1);
    expect(hitsOn(hits, 'webgpu', '1.31.0')).toEqual([]);
    expect(hitsOn(hits, 'webgpu', '1.29.9')).toEqual([]);
    expect(hitsOn(hits, 'wasm', '1.30.0')).toEqual([]);
    expect(inOrtRange('1.30.0', { min: '1.30.0', below: '1.30.1' })).toBe(true);
    expect(describeHits(hits)).toMatch(/^webgpu-slice-negative-steps \(1 node, e\.g\. slice_\d+; onnxruntime-web 1\.30\.0 to <1\.31\.0\): the WebGPU Slice kernel/);
  });

  it('rejects bytes that are not an ONNX model', () => {
    expect(() => inspectGraph(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow();
  });
});
