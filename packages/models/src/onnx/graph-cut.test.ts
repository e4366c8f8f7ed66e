import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { ModelCatalogue } from '../catalogue';
import { inspectGraph } from '../kernels/graph';
import { loadModelBytes } from '../sources';
import { splitModel } from './split-model';

const catalogue = ModelCatalogue.default();

/** Runs the stages in order, each fed from the model's inputs and earlier stages' outputs. */
async function runStages(stages: { bytes: Uint8Array; inputs: string[] }[], feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const values: Record<string, ort.Tensor> = { ...feeds };
  for (const stage of stages) {
    const session = await ort.InferenceSession.create(stage.bytes);
    Object.assign(values, await session.run(Object.fromEntries(stage.inputs.map((n) => [n, values[n]!]))));
  }
  return values;
}

/** Outputs of the LayerNormalization nodes, in graph order: natural cut points of the encoder. */
function layerNormOutputs(bytes: Uint8Array): string[] {
  return inspectGraph(bytes).nodes.filter((n) => n.opType === 'LayerNormalization').map((n) => n.outputs[0]!);
}

describe('splitModel', () => {
  it.each([
    ['bert-small', 1],
    ['bert-small', 2],
    ['vit-tiny', 2],
    ['audio-encoder-tiny', 1],
  ] as const)('%s in %i+1 stages equals the whole model within 1e-4 (residuals carried across cuts)', async (name, count) => {
    const entry = catalogue.get(name);
    const bytes = await loadModelBytes(await entry.source());
    const ln = layerNormOutputs(bytes);
    const cuts = Array.from({ length: count }, (_, i) => [ln[Math.floor(((i + 1) * ln.length) / (count + 1))]!]);
    const stages = await splitModel(bytes, cuts);
    expect(stages).toHaveLength(count + 1);
    expect(stages.reduce((a, s) => a + s.nodeCount, 0)).toBe(inspectGraph(bytes).nodes.length);
    const inputs = entry.sampleInputs({ batch: 2, seed: 3 });
    const feeds = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, new ort.Tensor(t.dtype, t.data as never, [...t.dims])]));
    const whole = await (await ort.InferenceSession.create(bytes)).run(feeds);
    const staged = await runStages(stages, feeds);
    for (const [out, t] of Object.entries(whole)) {
      const got = staged[out]!.data as Float32Array;
      expect(got.length).toBe(t.data.length);
      (t.data as Float32Array).forEach((v, i) => expect(Math.abs(v - got[i]!)).toBeLessThanOrEqual(1e-4));
    }
    // every stage after the first takes a tensor an earlier stage gave
    stages.slice(1).forEach((s, i) => expect(s.inputs.some((n) => stages[i]!.outputs.includes(n))).toBe(true));
  });

  it('refuses a tensor no node computes, a graph input, and cuts out of order', async () => {
    const bytes = await loadModelBytes(await catalogue.get('bert-tiny').source());
    const ln = layerNormOutputs(bytes);
    await expect(splitModel(bytes, [['no-such-tensor']])).rejects.toMatchObject({ code: 'E_INVALID_INPUT', message: expect.stringMatching(/no-such-tensor/) as unknown });
    await expect(splitModel(bytes, [['input_ids']])).rejects.toMatchObject({ code: 'E_INVALID_INPUT' });
    await expect(splitModel(bytes, [[ln[2]!], [ln[0]!]])).rejects.toMatchObject({ code: 'E_INVALID_INPUT', message: expect.stringMatching(/empty/) as unknown });
  });
});
