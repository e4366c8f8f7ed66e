/** One Identity node over a dynamic float32 vector: measures the wire, not compute (tensor round-trip benchmark). */
import { GraphBuilder } from '../onnx/graph-builder';
import { Rng } from '../random';

export function buildIdentity(name: string): Uint8Array {
  const g = new GraphBuilder(name, new Rng(1));
  const x = g.input('x', 'float32', ['n']);
  g.output(g.op('Identity', [x]), 'y', 'float32', ['n']);
  return g.toBytes();
}
