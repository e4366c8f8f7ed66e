import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { Rng } from '../random';
import { type BlockBits, dequantizeBlocks, quantizeBlocks } from './block-quant';
import { BLOCK_SIZE, type BuildPrecision, GraphBuilder } from './graph-builder';

describe('quantizeBlocks', () => {
  it('packs 4-bit codes low nibble first along K, symmetric around 8, one scale per block', () => {
    // K = 32 (one block), N = 2; column 0 holds 0, 7, -7, 1 ... (absmax 7 -> scale 1), column 1 is all zero.
    const k = 32;
    const weight = new Float32Array(k * 2);
    [0, 7, -7, 1, 3.4, -3.6].forEach((v, row) => (weight[row * 2] = v));
    const q = quantizeBlocks(weight, k, 2, 4, 32);
    expect(q.scales[0]).toBe(1);
    expect(q.scales[1]).toBe(1); // an all-zero block gets scale 1, not 0 (no NaN on dequantize)
    expect(Array.from(q.packed.subarray(0, 3))).toEqual([8 | (15 << 4), 1 | (9 << 4), 11 | (4 << 4)]);
    expect(q.packed.length).toBe(2 * 1 * 16);
    expect(Array.from(q.packed.subarray(16))).toEqual(new Array<number>(16).fill(8 | (8 << 4)));
  });

  it.each([2, 3, 4, 8] as const)('%i-bit: every value dequantizes to its rounded, clipped code (K not a multiple of the block)', (bits) => {
    const k = 40;
    const n = 3;
    const weight = new Rng(7).floats(k * n, 0.3);
    const q = quantizeBlocks(weight, k, n, bits, 16);
    expect(q.blocksPerColumn).toBe(3);
    expect(q.packed.length).toBe(n * 3 * ((16 * bits) / 8));
    const back = dequantizeBlocks(q);
    const qMax = (1 << (bits - 1)) - 1;
    let squared = 0;
    weight.forEach((w, i) => {
      const scale = q.scales[(i % n) * 3 + Math.floor(Math.floor(i / n) / 16)]!;
      expect(back[i]! + 0).toBe(Math.fround(Math.max(-qMax, Math.min(qMax, Math.round(w / scale))) * scale) + 0); // +0: no -0
      squared += (back[i]! - w) ** 2;
    });
    // the chosen scales do no worse than plain absmax scaling would
    const plain = weight.reduce((sum, w, i) => {
      const col = i % n;
      const row = Math.floor(i / n);
      let absMax = 0;
      for (let r = Math.floor(row / 16) * 16; r < Math.min(k, Math.floor(row / 16) * 16 + 16); r++) {
        absMax = Math.max(absMax, Math.abs(weight[r * n + col]!));
      }
      const s = Math.fround(absMax / qMax);
      return sum + (Math.round(w / s) * s - w) ** 2;
    }, 0);
    expect(squared).toBeLessThanOrEqual(plain + 1e-9);
  });

  it('rejects a block size the operator does not allow and a weight of the wrong length', () => {
    expect(() => quantizeBlocks(new Float32Array(48), 48, 1, 4, 24)).toThrow(/power of two/);
    expect(() => quantizeBlocks(new Float32Array(10), 4, 4, 4, 16)).toThrow(/K\*N/);
  });
});

/** One linear layer x @ W at `precision`, and the fp32 graph over W as the packer dequantizes it. */
function pair(precision: BuildPrecision, bits: BlockBits, k: number, n: number): [Uint8Array, Uint8Array] {
  const g = new GraphBuilder('nbits', new Rng(3), precision);
  g.output(g.matMulWeight(g.input('x', 'float32', ['batch', k]), 'w', k, n, 0.2), 'y', 'float32', ['batch', n]);
  const f = new GraphBuilder('dequantized', new Rng(0));
  const w = dequantizeBlocks(quantizeBlocks(new Rng(3).floats(k * n, 0.2), k, n, bits, BLOCK_SIZE));
  f.output(f.op('MatMul', [f.input('x', 'float32', ['batch', k]), f.constant('w', w, [k, n])]), 'y', 'float32', ['batch', n]);
  return [g.toBytes(), f.toBytes()];
}

async function run(bytes: Uint8Array, x: Float32Array, k: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ x: new ort.Tensor('float32', x, [x.length / k, k]) });
  return out.y!.data as Float32Array;
}

describe('MatMulNBits in onnxruntime-node 1.30 (the operator the packer writes for)', () => {
  it.each([['int4', 4], ['int2', 2]] as const)('%s: equals MatMul over the dequantized weight within 1e-5', async (precision, bits) => {
    const k = 96;
    const n = 24;
    const [nbits, dequantized] = pair(precision, bits, k, n);
    const x = new Rng(11).floats(3 * k);
    const got = await run(nbits, x, k);
    const want = await run(dequantized, x, k);
    expect(got.length).toBe(3 * n);
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5));
  });

  it('int3: refused at session creation (only 2, 4 and 8 bits have kernels in 1.30)', async () => {
    const [nbits] = pair('int3', 3, 64, 8);
    await expect(ort.InferenceSession.create(nbits)).rejects.toThrow(/Only 2b, 4b and 8b/);
  });
});
