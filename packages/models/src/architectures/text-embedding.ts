/** BERT-style sentence encoder: token + position embeddings, encoder layers, mean-pooled embedding. */
import { encoder, meanPool } from '../onnx/encoder';
import { type BuildPrecision,GraphBuilder } from '../onnx/graph-builder';
import { Rng } from '../random';
import type { SizeSpec } from './sizes';

export function buildTextEmbedding(name: string, s: SizeSpec, seed: number, precision: BuildPrecision = 'fp32'): Uint8Array {
  const g = new GraphBuilder(name, new Rng(seed), precision);
  const ids = g.input('input_ids', 'int64', ['batch', s.seq]);
  const tokens = g.op('Gather', [g.weight('token_embedding', [s.vocab, s.hidden], 1), ids], { axis: { int: 0 } });
  const x = g.op('Add', [tokens, g.weight('position_embedding', [s.seq, s.hidden], 0.1)]);
  const pooled = meanPool(g, encoder(g, x, s));
  g.output(pooled, 'embedding', 'float32', ['batch', s.hidden]);
  return g.toBytes();
}
