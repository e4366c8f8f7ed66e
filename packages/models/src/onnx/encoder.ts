/**
 * Pre-LayerNorm transformer encoder layers (multi-head self-attention + GELU feed-forward), shared by the
 * text, vision and audio architectures. Activations are [batch, seq, hidden]; batch and seq stay dynamic.
 */
import type { GraphBuilder } from './graph-builder';

export interface EncoderDims {
  hidden: number;
  heads: number;
  ffn: number;
  layers: number;
}

export function layerNorm(g: GraphBuilder, x: string, hidden: number, prefix: string): string {
  const gamma = g.constant(`${prefix}.gamma`, new Float32Array(hidden).fill(1), [hidden]);
  const beta = g.constant(`${prefix}.beta`, new Float32Array(hidden), [hidden]);
  return g.op('LayerNormalization', [x, gamma, beta], { axis: { int: -1 }, epsilon: { float: 1e-5 } });
}

/** x @ W + b with W of normal(0, 1/sqrt(in)) so activations stay near unit scale at every size. */
export function linear(g: GraphBuilder, x: string, inDim: number, outDim: number, prefix: string): string {
  const product = g.matMulWeight(x, `${prefix}.weight`, inDim, outDim, 1 / Math.sqrt(inDim));
  return g.op('Add', [product, g.weight(`${prefix}.bias`, [outDim], 0.02)]);
}

/** Exact GELU: x * 0.5 * (1 + erf(x / sqrt(2))). */
export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, g.scalar(Math.SQRT2)])]);
  return g.op('Mul', [x, g.op('Mul', [g.op('Add', [erf, g.scalar(1)]), g.scalar(0.5)])]);
}

function selfAttention(g: GraphBuilder, x: string, d: EncoderDims, prefix: string): string {
  const headDim = d.hidden / d.heads;
  const split = g.ints([0, 0, d.heads, headDim]); // 0 = keep that dim (batch, seq)
  const heads = (name: string, perm: number[]): string =>
    g.op('Transpose', [g.op('Reshape', [linear(g, x, d.hidden, d.hidden, `${prefix}.${name}`), split])], {
      perm: { ints: perm },
    });
  const q = heads('q', [0, 2, 1, 3]); // [B, h, S, dh]
  const kT = heads('k', [0, 2, 3, 1]); // [B, h, dh, S]
  const v = heads('v', [0, 2, 1, 3]);
  const scores = g.op('Mul', [g.op('MatMul', [q, kT]), g.scalar(1 / Math.sqrt(headDim))]);
  const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: { int: -1 } }), v]);
  const merged = g.op('Reshape', [
    g.op('Transpose', [context], { perm: { ints: [0, 2, 1, 3] } }),
    g.ints([0, 0, d.hidden]),
  ]);
  return linear(g, merged, d.hidden, d.hidden, `${prefix}.out`);
}

export function encoder(g: GraphBuilder, x: string, d: EncoderDims): string {
  if (d.hidden % d.heads !== 0) {
    throw new Error(`hidden size ${d.hidden} is not divisible by ${d.heads} heads`);
  }
  let h = x;
  for (let l = 0; l < d.layers; l++) {
    const p = `layer${l}`;
    h = g.op('Add', [h, selfAttention(g, layerNorm(g, h, d.hidden, `${p}.ln1`), d, `${p}.attn`)]);
    const ff = linear(g, gelu(g, linear(g, layerNorm(g, h, d.hidden, `${p}.ln2`), d.hidden, d.ffn, `${p}.ff1`)), d.ffn, d.hidden, `${p}.ff2`);
    h = g.op('Add', [h, ff]);
  }
  return layerNorm(g, h, d.hidden, 'final_ln');
}

/** Mean over the sequence axis: [B, S, H] -> [B, H]. */
export function meanPool(g: GraphBuilder, x: string): string {
  return g.op('ReduceMean', [x], { axes: { ints: [1] }, keepdims: { int: 0 } });
}
