/**
 * A two-model pipeline whose intermediate is large and whose compute is small (elementwise), so moving the
 * intermediate is what a handoff saves: an encoder `x [1, 64] -> hidden [rows, 64]` and a head
 * `hidden [rows, 64] -> score [64]`. Seeded weights; `rows` sets the intermediate's size (rows * 256 bytes).
 */
import { GraphBuilder } from '../onnx/graph-builder';
import { Rng } from '../random';

export const HANDOFF_WIDTH = 64;

export interface HandoffPipeline {
  rows: number;
  /** Bytes of the intermediate tensor `hidden` (float32). */
  intermediateBytes: number;
  encoder: Uint8Array;
  head: Uint8Array;
}

/** hidden = tanh(broadcast(x) + rowBias): every row differs, so a wrong or stale handoff shows in the score. */
function encoder(rows: number, seed: number): Uint8Array {
  const g = new GraphBuilder('handoff-encoder', new Rng(seed));
  const x = g.input('x', 'float32', [1, HANDOFF_WIDTH]);
  const wide = g.op('Expand', [x, g.ints([rows, HANDOFF_WIDTH])]);
  const hidden = g.op('Tanh', [g.op('Add', [wide, g.weight('row_bias', [rows, 1], 1)])]);
  g.output(hidden, 'hidden', 'float32', [rows, HANDOFF_WIDTH]);
  return g.toBytes();
}

/** score = mean over rows of hidden * columnWeight. */
function head(rows: number, seed: number): Uint8Array {
  const g = new GraphBuilder('handoff-head', new Rng(seed + 1));
  const hidden = g.input('hidden', 'float32', [rows, HANDOFF_WIDTH]);
  const weighted = g.op('Mul', [hidden, g.weight('column_weight', [1, HANDOFF_WIDTH], 1)]);
  const score = g.op('ReduceMean', [weighted], { axes: { ints: [0] }, keepdims: { int: 0 } }) // opset 17: axes is an attribute;
  g.output(score, 'score', 'float32', [HANDOFF_WIDTH]);
  return g.toBytes();
}

export function buildHandoffPipeline(rows: number, seed = 18): HandoffPipeline {
  return { rows, intermediateBytes: rows * HANDOFF_WIDTH * 4, encoder: encoder(rows, seed), head: head(rows, seed) };
}
