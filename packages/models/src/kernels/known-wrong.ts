/**
 * Kernels known to compute wrong values: (operator, attribute predicate, backend, onnxruntime-web version range)
 * cases, each with why and how it was found. The pool inspects every model's graph at load against this table and
 * keeps a model off a backend where it hits a case (or fails with E_KNOWN_WRONG_KERNEL when that backend was the
 * only one allowed); test/known-wrong-kernels.test.ts re-measures each case in a real browser so the table notices
 * an upstream fix.
 */
import type { Backend } from '@browser-pool/browser-harness/protocol';

import type { GraphNode, GraphSummary } from './graph';

export interface KnownWrongKernel {
  /** Stable id (tests and the compatibility matrix name cases by it). */
  id: string;
  /** ONNX operator (domain ai.onnx unless `domain` says otherwise). */
  op: string;
  domain?: string;
  backend: Backend;
  /** onnxruntime-web versions the case was measured on: from `min` up to, not including, `below`. */
  ort: { min: string; below: string };
  /** Whether this node of the model is an instance of the case (attributes, constant inputs). */
  matches: (node: GraphNode, graph: GraphSummary, constantValues: ReadonlySet<string>) => boolean;
  /** What goes wrong, measured. */
  why: string;
  foundBy: string;
}

/** A model node that hits a case. */
export interface KernelHit {
  caseId: string;
  backend: Backend;
  node: string;
  ort: { min: string; below: string };
  why: string;
}

const INT8_TYPES = new Set([2, 3]); // onnx.TensorProto.DataType UINT8, INT8

export const KNOWN_WRONG_KERNELS: readonly KnownWrongKernel[] = [
  {
    id: 'webgpu-dequantize-int8-weights',
    op: 'DequantizeLinear',
    backend: 'webgpu',
    ort: { min: '1.30.0', below: '1.31.0' },
    matches: (node, graph) => {
      const x = graph.constants.get(node.inputs[0] ?? '');
      return x !== undefined && INT8_TYPES.has(x.dataType);
    },
    why: 'the WebGPU EP dequantizes int8 / uint8 weight initializers wrongly: outputs differ from the reference by 0.8-2.2 on every int8 catalogue variant',
    foundBy: 'test/correctness.test.ts (int8 variants on webgpu vs onnxruntime-node), re-checked by test/known-wrong-kernels.test.ts',
  },
  {
    id: 'webgpu-slice-negative-steps',
    op: 'Slice',
    backend: 'webgpu',
    ort: { min: '1.30.0', below: '1.31.0' },
    matches: (node, graph, constantValues) => {
      // A Slice over constant data is folded at session creation and never reaches the kernel (silero VAD v5's
      // padding arithmetic reverses an int64 constant and is right on WebGPU).
      if (constantValues.has(node.inputs[0] ?? '')) {
        return false;
      }
      const steps = graph.constants.get(node.inputs[4] ?? '')?.ints;
      return steps?.some((s) => s < 0) === true;
    },
    why: 'the WebGPU Slice kernel mishandles negative steps: a full reversal (step -1) drops one element and a partial one returns wrong values; silero VAD legacy gives hidden state off by 1.4e-2, output by 1.7e-4',
    foundBy: 'silero VAD legacy (@ricky0123/vad-web silero_vad_legacy.onnx) on WebGPU vs onnxruntime-node, reproduced on one-node Slice models (test/known-wrong-kernels.test.ts)',
  },
];

/**
 * Values computable from constants alone: initializers, Constant outputs, and outputs of nodes whose every input
 * is one of those (onnxruntime folds them before any kernel runs). Nodes come in topological order per graph.
 */
export function constantValues(graph: GraphSummary): Set<string> {
  const constant = new Set(graph.constants.keys());
  const RANDOM = /^Random/;
  for (const node of graph.nodes) {
    if (!RANDOM.test(node.opType) && node.inputs.every((i) => i === '' || constant.has(i))) {
      node.outputs.forEach((o) => constant.add(o));
    }
  }
  return constant;
}

/** Every (case, node) of the table the graph hits, on any backend. */
export function knownWrongHits(graph: GraphSummary, table: readonly KnownWrongKernel[] = KNOWN_WRONG_KERNELS): KernelHit[] {
  const constant = constantValues(graph);
  const hits: KernelHit[] = [];
  for (const node of graph.nodes) {
    for (const c of table) {
      if (node.opType === c.op && node.domain === (c.domain ?? '') && c.matches(node, graph, constant)) {
        hits.push({ caseId: c.id, backend: c.backend, node: node.name, ort: c.ort, why: c.why });
      }
    }
  }
  return hits;
}

function parts(version: string): number[] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) {
      return a[i]! - b[i]!;
    }
  }
  return 0;
}

/** Whether `version` lies in the range; an unreadable version ('unknown') counts as in it (the safe side). */
export function inOrtRange(version: string, range: { min: string; below: string }): boolean {
  const v = parts(version);
  return v === undefined || (compare(v, parts(range.min)!) >= 0 && compare(v, parts(range.below)!) < 0);
}

/** The hits that apply to `backend` on a page running onnxruntime-web `ortVersion`. */
export function hitsOn(hits: readonly KernelHit[], backend: Backend, ortVersion: string): KernelHit[] {
  return hits.filter((h) => h.backend === backend && inOrtRange(ortVersion, h.ort));
}

/** One line for errors and the compatibility matrix: which cases, how many nodes, why. */
export function describeHits(hits: readonly KernelHit[]): string {
  const byCase = new Map<string, KernelHit[]>();
  for (const h of hits) {
    byCase.set(h.caseId, [...(byCase.get(h.caseId) ?? []), h]);
  }
  return [...byCase.values()]
    .map((hs) => `${hs[0]!.caseId} (${hs.length} node${hs.length === 1 ? '' : 's'}, e.g. ${hs[0]!.node}; onnxruntime-web ${hs[0]!.ort.min} to <${hs[0]!.ort.below}): ${hs[0]!.why}`)
    .join('; ');
}
