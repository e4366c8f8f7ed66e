/**
 * Splits an ONNX model into pipeline stages at named tensors. Cut i closes stage i: stage 0 holds every node needed
 * to compute cut 0's tensors, stage i the further nodes needed for cut i, the last stage the rest up to the graph
 * outputs. A stage takes whatever it consumes that it does not compute (graph inputs, earlier stages' tensors, so a
 * residual that skips a cut is carried across) and gives every tensor a later stage or the caller needs. Run in
 * order, the stages compute what the whole model computes: the same nodes, the same weights.
 */
import { InvalidInputError } from '@browser-pool/browser-harness/protocol';

import { type GraphProto, type NodeProto, onnx, type ValueInfoProto } from './proto';

export interface ModelStage {
  index: number;
  /** The stage as a standalone ONNX model. */
  bytes: Uint8Array;
  /** What it takes: the original model's inputs and earlier stages' outputs, by name. */
  inputs: string[];
  /** What it gives: tensors later stages need and the original model's outputs it computes. */
  outputs: string[];
  /** The original model's outputs among `outputs`. */
  modelOutputs: string[];
  nodeCount: number;
}

/** Values a subgraph reads from its enclosing scopes (not computed, declared or initialized inside it). */
function freeValues(graph: GraphProto): Set<string> {
  const local = new Set<string>([...(graph.input ?? []).map((v) => v.name ?? ''), ...(graph.initializer ?? []).map((t) => t.name ?? '')]);
  const free = new Set<string>();
  for (const node of graph.node ?? []) {
    for (const name of consumedBy(node)) {
      if (!local.has(name)) {
        free.add(name);
      }
    }
    (node.output ?? []).forEach((o) => local.add(o));
  }
  return free;
}

/** A node's inputs, implicit ones (read by its If / Loop / Scan bodies) included. */
function consumedBy(node: NodeProto): string[] {
  const explicit = (node.input ?? []).filter((i) => i !== '');
  const implicit = (node.attribute ?? []).flatMap((a) => [...(a.g === null || a.g === undefined ? [] : [a.g]), ...(a.graphs ?? [])]).flatMap((g) => [...freeValues(g)]);
  return [...new Set([...explicit, ...implicit])];
}

/**
 * @param bytes the whole model
 * @param cuts tensor names closing each stage but the last (k cuts give k + 1 stages)
 * @param typeOf ONNX element type and dims (a string: symbolic) of every cut-crossing tensor the graph declares no
 *   type for; pages check inputs against declared dims, so a stage's inputs must carry them
 * @throws InvalidInputError for an unknown cut tensor, one that is a graph input, or cuts out of order
 */
export interface TensorType {
  elemType: number;
  dims: readonly (number | string)[];
}

export function cutGraph(bytes: Uint8Array, cuts: readonly (readonly string[])[], typeOf: (name: string) => TensorType | undefined): ModelStage[] {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (graph === null || graph === undefined) {
    throw new InvalidInputError('the model has no graph to cut');
  }
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => producer.set(o, i)));
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const graphOutputs = (graph.output ?? []).map((v) => v.name ?? '');
  const consumed = nodes.map(consumedBy);
  const stageOf = new Array<number>(nodes.length).fill(-1);
  const targets = [...cuts.map((c) => [...c]), graphOutputs];
  targets.forEach((names, stage) => {
    for (const name of names) {
      if (stage < cuts.length && !producer.has(name)) {
        throw new InvalidInputError(`cut ${stage}: "${name}" is not a tensor a node of this model computes (graph inputs and weights cannot be cut at)`);
      }
    }
    const stack = [...names];
    let added = 0;
    while (stack.length > 0) {
      const p = producer.get(stack.pop()!);
      if (p === undefined || stageOf[p] !== -1) {
        continue;
      }
      stageOf[p] = stage;
      added++;
      stack.push(...consumed[p]!);
    }
    if (added === 0) {
      throw new InvalidInputError(`stage ${stage} would be empty: cut ${stage} [${names.join(', ')}] is computed by an earlier stage already (are the cuts in graph order?)`);
    }
  });

  const declared = new Map<string, ValueInfoProto>([...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])].map((v) => [v.name ?? '', v]));
  const info = (name: string): ValueInfoProto => {
    const known = declared.get(name);
    if (known?.type !== undefined && known.type !== null) {
      return known;
    }
    const t = typeOf(name);
    if (t === undefined) {
      throw new InvalidInputError(`no element type known for tensor "${name}" crossing a stage boundary`);
    }
    const dim = t.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
    return { name, type: { tensorType: { elemType: t.elemType, shape: { dim } } } };
  };

  return targets.map((_, stage) => {
    const mine = nodes.filter((__, i) => stageOf[i] === stage);
    const produced = new Set(mine.flatMap((n) => n.output ?? []));
    const reads = [...new Set(nodes.flatMap((__, i) => (stageOf[i] === stage ? consumed[i]! : [])))];
    const inputs = reads.filter((v) => !produced.has(v) && !initializers.has(v));
    const laterReads = new Set(nodes.flatMap((__, i) => (stageOf[i]! > stage ? consumed[i]! : [])));
    const outputs = [...produced].filter((v) => laterReads.has(v) || graphOutputs.includes(v));
    const stageGraph = {
      name: `${graph.name ?? 'graph'}.stage${stage}`,
      node: mine,
      initializer: reads.filter((v) => initializers.has(v)).map((v) => initializers.get(v)!),
      input: inputs.map(info),
      output: outputs.map(info),
    };
    const stageBytes = onnx.ModelProto.encode({ ...model, graph: stageGraph }).finish();
    return { index: stage, bytes: stageBytes, inputs, outputs, modelOutputs: outputs.filter((v) => graphOutputs.includes(v)), nodeCount: mine.length };
  });
}
