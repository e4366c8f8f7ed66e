/** ViT-style classifier: convolutional patch embedding, position embeddings, encoder layers, pooled logits. */
import { encoder, linear, meanPool } from '../onnx/encoder';
import { type BuildPrecision,GraphBuilder } from '../onnx/graph-builder';
import { Rng } from '../random';
import type { SizeSpec } from './sizes';

export function buildVision(name: string, s: SizeSpec, seed: number, precision: BuildPrecision = 'fp32'): Uint8Array {
  const g = new GraphBuilder(name, new Rng(seed), precision);
  const pixels = g.input('pixel_values', 'float32', ['batch', 3, s.image, s.image]);
  const fanIn = 3 * s.patch * s.patch;
  const patches = g.op(
    'Conv',
    [pixels, g.weight('patch.weight', [s.hidden, 3, s.patch, s.patch], 1 / Math.sqrt(fanIn)), g.weight('patch.bias', [s.hidden], 0.02)],
    { kernel_shape: { ints: [s.patch, s.patch] }, strides: { ints: [s.patch, s.patch] } },
  ); // [B, H, g, g]
  const count = (s.image / s.patch) ** 2;
  const seq = g.op('Transpose', [g.op('Reshape', [patches, g.ints([0, s.hidden, -1])])], { perm: { ints: [0, 2, 1] } });
  const x = g.op('Add', [seq, g.weight('position_embedding', [count, s.hidden], 0.1)]);
  const logits = linear(g, meanPool(g, encoder(g, x, s)), s.hidden, s.classes, 'classifier');
  g.output(logits, 'logits', 'float32', ['batch', s.classes]);
  return g.toBytes();
}
