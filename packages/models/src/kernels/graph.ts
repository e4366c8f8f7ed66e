/**
 * Reads an ONNX model's graph for the checks made at load: every node (subgraphs of If / Loop / Scan included) with
 * its attributes, and the integer values of constant tensors (initializers and Constant nodes), so a predicate can
 * ask "is this Slice's steps input a constant with a negative value?". Decoded with onnx-proto, the same protobuf
 * classes the builder writes with.
 */
import { type AttributeProto, type GraphProto, onnx, type TensorProto } from '../onnx/proto';

export interface GraphNode {
  opType: string;
  /** '' for the default ONNX domain. */
  domain: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Integer-valued attributes (INT and INTS), by name. */
  ints: ReadonlyMap<string, readonly number[]>;
}

export interface ConstantTensor {
  /** onnx.TensorProto.DataType */
  dataType: number;
  dims: readonly number[];
  /** Values of an integer tensor (int8 .. int64, uint8 .. uint64), as numbers; absent for other types. */
  ints: readonly number[] | undefined;
}

export interface GraphSummary {
  /** opset per domain ('' = ai.onnx). */
  opsets: ReadonlyMap<string, number>;
  nodes: readonly GraphNode[];
  /** Initializers and Constant-node outputs, by value name (names are unique across subgraphs in valid models). */
  constants: ReadonlyMap<string, ConstantTensor>;
}

const T = onnx.TensorProto.DataType;
const INT_WIDTH: Partial<Record<number, { bytes: number; read: (v: DataView, at: number) => number }>> = {
  [T.INT8]: { bytes: 1, read: (v, at) => v.getInt8(at) },
  [T.UINT8]: { bytes: 1, read: (v, at) => v.getUint8(at) },
  [T.INT16]: { bytes: 2, read: (v, at) => v.getInt16(at, true) },
  [T.UINT16]: { bytes: 2, read: (v, at) => v.getUint16(at, true) },
  [T.INT32]: { bytes: 4, read: (v, at) => v.getInt32(at, true) },
  [T.UINT32]: { bytes: 4, read: (v, at) => v.getUint32(at, true) },
  [T.INT64]: { bytes: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
  [T.UINT64]: { bytes: 8, read: (v, at) => Number(v.getBigUint64(at, true)) },
};
/** Integer tensors with more elements than this keep only their type and dims (weights, not parameters). */
const MAX_INT_VALUES = 4096;

/** int64 fields decode as number or as a Long (protobufjs), typed loosely by onnx-proto. */
function num(v: unknown): number {
  if (typeof v === 'number') {
    return v;
  }
  return typeof v === 'object' && v !== null && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v ?? 0);
}

function intValues(t: TensorProto): number[] | undefined {
  const width = INT_WIDTH[t.dataType ?? 0];
  if (width === undefined) {
    return undefined;
  }
  const count = (t.dims ?? []).reduce((a: number, d) => a * num(d), 1);
  if (count > MAX_INT_VALUES) {
    return undefined;
  }
  const raw = t.rawData;
  if (raw !== null && raw !== undefined && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Array.from({ length: Math.floor(raw.byteLength / width.bytes) }, (_, i) => width.read(view, i * width.bytes));
  }
  // Typed fields: int64 / uint64 in int64Data / uint64Data, every narrower integer type in int32Data.
  const typed = t.dataType === T.INT64 ? t.int64Data : t.dataType === T.UINT64 ? t.uint64Data : t.int32Data;
  return (typed ?? []).map(num);
}

function constantOf(t: TensorProto): ConstantTensor {
  return { dataType: t.dataType ?? 0, dims: (t.dims ?? []).map(num), ints: intValues(t) };
}

function attributeInts(a: AttributeProto): number[] | undefined {
  if (a.type === onnx.AttributeProto.AttributeType.INT) {
    return [num(a.i)];
  }
  return a.type === onnx.AttributeProto.AttributeType.INTS ? (a.ints ?? []).map(num) : undefined;
}

function walk(graph: GraphProto, nodes: GraphNode[], constants: Map<string, ConstantTensor>): void {
  for (const init of graph.initializer ?? []) {
    constants.set(init.name ?? '', constantOf(init));
  }
  for (const n of graph.node ?? []) {
    const ints = new Map<string, number[]>();
    const attributes = n.attribute ?? [];
    for (const a of attributes) {
      const values = attributeInts(a);
      if (values !== undefined) {
        ints.set(a.name ?? '', values);
      }
      for (const sub of [...(a.g === null || a.g === undefined ? [] : [a.g]), ...(a.graphs ?? [])]) {
        walk(sub, nodes, constants);
      }
    }
    const outputs = n.output ?? [];
    const value = n.opType === 'Constant' ? attributes.find((a) => a.name === 'value')?.t : undefined;
    if (value !== null && value !== undefined && outputs[0] !== undefined) {
      constants.set(outputs[0], constantOf(value));
    }
    nodes.push({ opType: n.opType ?? '', domain: n.domain ?? '', name: n.name ?? '', inputs: n.input ?? [], outputs, ints });
  }
}

/** @throws RangeError (protobuf's) or Error when the bytes are not an ONNX model. */
export function inspectGraph(bytes: Uint8Array): GraphSummary {
  const model = onnx.ModelProto.decode(bytes);
  if (model.graph === null || model.graph === undefined) {
    throw new Error('the bytes decode as an ONNX ModelProto without a graph');
  }
  const nodes: GraphNode[] = [];
  const constants = new Map<string, ConstantTensor>();
  walk(model.graph, nodes, constants);
  const opsets = new Map(model.opsetImport.map((o) => [o.domain ?? '', num(o.version)]));
  return { opsets, nodes, constants };
}
