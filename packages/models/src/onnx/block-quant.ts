/**
 * Block quantization of a MatMul weight into the layout of onnxruntime's `com.microsoft.MatMulNBits` contrib op
 * (written from the operator's specification): Y = A @ dequant(B)^T, where dequant(B) is [N, K] and each run of
 * `blockSize` values along K shares one float scale. Codes are unsigned, packed low bits first along K into
 * `B: uint8 [N, ceil(K / blockSize), blockSize * bits / 8]`; `scales: float [N * ceil(K / blockSize)]`. Without a
 * `zero_points` input the operator subtracts 2^(bits-1), so the quantization here is symmetric around that code,
 * with each block's scale chosen for the least squared error.
 */

/** Code widths the packer writes. Which of them an onnxruntime build runs is measured, not assumed (see README). */
export const BLOCK_BITS = [2, 3, 4, 8] as const;
export type BlockBits = (typeof BLOCK_BITS)[number];

export interface BlockQuantized {
  /** K: the reduction dim (rows of the MatMul weight). */
  k: number;
  /** N: output features (columns of the MatMul weight). */
  n: number;
  bits: BlockBits;
  blockSize: number;
  blocksPerColumn: number;
  /** [N, blocksPerColumn, blobSize] packed codes. */
  packed: Uint8Array;
  /** [N * blocksPerColumn] */
  scales: Float32Array;
}

/**
 * Quantizes a row-major [K, N] MatMul weight. `blockSize` must be a power of two of at least 16 (the operator's
 * rule) so that a block's codes fill whole bytes; K need not be a multiple of it (the last block is zero-padded).
 */
export function quantizeBlocks(weight: Float32Array, k: number, n: number, bits: BlockBits, blockSize: number): BlockQuantized {
  if (weight.length !== k * n) {
    throw new RangeError(`weight has ${weight.length} values, not K*N = ${k}*${n}`);
  }
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new RangeError(`block size ${blockSize} is not a power of two >= 16`);
  }
  const blocksPerColumn = Math.ceil(k / blockSize);
  const blobSize = (blockSize * bits) / 8;
  const zero = 1 << (bits - 1);
  const qMax = zero - 1; // symmetric: codes zero-qMax .. zero+qMax, so +x and -x round alike
  const packed = new Uint8Array(n * blocksPerColumn * blobSize);
  const scales = new Float32Array(n * blocksPerColumn);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < blocksPerColumn; b++) {
      const start = b * blockSize;
      const end = Math.min(k, start + blockSize);
      const scale = blockScale(weight, start, end, n, col, qMax);
      const block = col * blocksPerColumn + b;
      scales[block] = scale;
      const base = block * blobSize * 8; // bit offset of this block's first code
      for (let row = start; row < end; row++) {
        writeBits(packed, base + (row - start) * bits, bits, code(weight[row * n + col]!, scale, qMax) + zero);
      }
      for (let row = end; row < start + blockSize; row++) {
        writeBits(packed, base + (row - start) * bits, bits, zero); // padding dequantizes to 0
      }
    }
  }
  return { k, n, bits, blockSize, blocksPerColumn, packed, scales };
}

function code(value: number, scale: number, qMax: number): number {
  return Math.max(-qMax, Math.min(qMax, Math.round(value / scale)));
}

/**
 * The block's scale: of absMax/qMax shrunk by 0 %, 5 %, ... 70 %, the one with the least squared error (clipping the
 * largest values pays off at low bit counts: at 2 bits the three levels -s, 0, s fit best well inside the range).
 */
function blockScale(weight: Float32Array, start: number, end: number, n: number, col: number, qMax: number): number {
  let absMax = 0;
  for (let row = start; row < end; row++) {
    absMax = Math.max(absMax, Math.abs(weight[row * n + col]!));
  }
  if (absMax === 0) {
    return 1;
  }
  let best = Math.fround(absMax / qMax);
  let bestError = Infinity;
  for (let shrink = 0; shrink <= 14; shrink++) {
    const scale = Math.fround((absMax / qMax) * (1 - shrink / 20));
    let error = 0;
    for (let row = start; row < end; row++) {
      const w = weight[row * n + col]!;
      error += (w - code(w, scale, qMax) * scale) ** 2;
    }
    if (error < bestError) {
      best = scale;
      bestError = error;
    }
  }
  return best;
}

/** Writes `value`'s low `bits` bits at bit offset `at`, low bits first (a 3-bit code may straddle two bytes). */
function writeBits(out: Uint8Array, at: number, bits: number, value: number): void {
  for (let i = 0; i < bits; i++) {
    if (((value >> i) & 1) === 1) {
      const bit = at + i;
      out[bit >> 3]! |= 1 << (bit & 7);
    }
  }
}

function readBits(packed: Uint8Array, at: number, bits: number): number {
  let value = 0;
  for (let i = 0; i < bits; i++) {
    const bit = at + i;
    value |= ((packed[bit >> 3]! >> (bit & 7)) & 1) << i;
  }
  return value;
}

/** The [K, N] weight the operator computes with: (code - 2^(bits-1)) * scale. For tests and error bounds. */
export function dequantizeBlocks(q: BlockQuantized): Float32Array {
  const out = new Float32Array(q.k * q.n);
  const blobBits = q.blockSize * q.bits;
  const zero = 1 << (q.bits - 1);
  for (let col = 0; col < q.n; col++) {
    for (let row = 0; row < q.k; row++) {
      const block = col * q.blocksPerColumn + Math.floor(row / q.blockSize);
      const code = readBits(q.packed, block * blobBits + (row % q.blockSize) * q.bits, q.bits);
      out[row * q.n + col] = (code - zero) * q.scales[block]!;
    }
  }
  return out;
}
