/**
 * `splitModel(bytes, cuts)`: the graph cut with the element types of the tensors that cross stage boundaries, which
 * graphs rarely declare, taken from onnxruntime-node's view of the model (every node output made a graph output,
 * session metadata read, nothing run).
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

import { cutGraph, type ModelStage, type TensorType } from './graph-cut';

const { onnx } = onnxProto;
const ELEM_TYPE: Record<string, number> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13,
};

/**
 * ONNX element type and dims of every main-graph node output, as onnxruntime infers them; a dim it cannot name
 * becomes a symbolic dim of its own (`<tensor>:<axis>`), so no two unknown dims are taken as equal.
 */
export async function intermediateTypes(bytes: Uint8Array): Promise<Map<string, TensorType>> {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const declared = new Set((graph.output ?? []).map((o) => o.name));
  const extra = (graph.node ?? []).flatMap((n) => n.output ?? []).filter((o) => o !== '' && !declared.has(o));
  graph.output = [...(graph.output ?? []), ...extra.map((name) => onnx.ValueInfoProto.create({ name }))];
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), { graphOptimizationLevel: 'disabled' });
  try {
    const types = new Map<string, TensorType>();
    for (const m of session.outputMetadata) {
      const t = m.isTensor ? ELEM_TYPE[m.type] : undefined;
      if (m.isTensor && t !== undefined) {
        const dims = m.shape.map((d, axis) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' && d !== '' ? d : `${m.name}:${axis}`));
        types.set(m.name, { elemType: t, dims });
      }
    }
    return types;
  } finally {
    await session.release();
  }
}

/** Cuts `bytes` into `cuts.length + 1` stages (see cutGraph); run in order they equal the whole model. */
export async function splitModel(bytes: Uint8Array, cuts: readonly (readonly string[])[]): Promise<ModelStage[]> {
  const types = await intermediateTypes(bytes);
  return cutGraph(bytes, cuts, (name) => types.get(name));
}
