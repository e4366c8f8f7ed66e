/**
 * Reference inference in Node with onnxruntime-node (native CPU): the numerical truth browser outputs are compared
 * against, and the native-speed baseline of benchmarks.
 */
import type { Tensor, TensorMap } from '@browser-pool/browser-harness/protocol';
import * as ort from 'onnxruntime-node';

import { loadModelBytes } from './sources';
import type { ModelSource } from './types';

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function keyOf(source: ModelSource): string | undefined {
  return source.kind === 'file' ? `file:${source.path}` : source.kind === 'url' ? `url:${source.url}` : undefined;
}

/**
 * `all`: onnxruntime-node's full optimizer (native speed). `disabled`: the graph's math as written; needed for the
 * int8 weight variants, whose DequantizeLinear -> MatMul the native optimizer fuses into integer kernels that also
 * quantize activations (outputs then differ by ~5e-3 from the float math every browser backend computes).
 */
export type ReferenceOptimization = 'all' | 'disabled';

async function sessionFor(source: ModelSource, optimization: ReferenceOptimization): Promise<ort.InferenceSession> {
  const base = keyOf(source);
  const key = base === undefined ? undefined : `${base}|${optimization}`;
  const create = async (): Promise<ort.InferenceSession> =>
    ort.InferenceSession.create(await loadModelBytes(source), { graphOptimizationLevel: optimization });
  if (key === undefined) {
    return create();
  }
  let s = sessions.get(key);
  if (s === undefined) {
    s = create();
    sessions.set(key, s);
  }
  return s;
}

/** Runs the model on the CPU in Node and returns its outputs in the wire's tensor form. */
export async function runReference(source: ModelSource, inputs: TensorMap, optimization: ReferenceOptimization = 'all'): Promise<TensorMap> {
  const session = await sessionFor(source, optimization);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(inputs)) {
    feeds[name] = new ort.Tensor(t.dtype, t.data as never, [...t.dims]);
  }
  const results = await session.run(feeds);
  const out: TensorMap = {};
  for (const [name, t] of Object.entries(results)) {
    out[name] = { dtype: t.type, dims: [...t.dims], data: t.data } as Tensor;
  }
  return out;
}

/** Largest |a - b| over two float tensors of the same shape; Infinity when shapes differ. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i])) {
    return Infinity;
  }
  let max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(Number(a.data[i]) - Number(b.data[i]));
    if (!(d <= max)) {
      max = Number.isNaN(d) ? Infinity : d;
    }
  }
  return max;
}
