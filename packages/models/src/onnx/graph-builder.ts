/**
 * A small writer of ONNX graphs over onnx-proto's generated protobuf classes: inputs, outputs, initializers and
 * nodes with auto-named outputs. Enough to express transformer and CNN architectures without Python.
 */
import type { DType } from '@browser-pool/browser-harness/protocol';
import onnxProto from 'onnx-proto';

import type { Rng } from '../random';
import { type BlockBits, quantizeBlocks } from './block-quant';

// onnx-proto is CommonJS: Node's ESM loader sees only its default export.
const { onnx } = onnxProto;
type OnnxNs = typeof onnx;
type INodeProto = Parameters<OnnxNs['NodeProto']['create']>[0] & object;
type ITensorProto = Parameters<OnnxNs['TensorProto']['create']>[0] & object;
type IValueInfoProto = Parameters<OnnxNs['ValueInfoProto']['create']>[0] & object;
type IAttributeProto = Parameters<OnnxNs['AttributeProto']['create']>[0] & object;

/** ONNX opset the generated models declare (17: LayerNormalization; ReduceMean still takes `axes` as attribute). */
export const OPSET = 17;
const IR_VERSION = 8;

const ONNX_DTYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  int16: onnx.TensorProto.DataType.INT16,
  uint16: onnx.TensorProto.DataType.UINT16,
  int32: onnx.TensorProto.DataType.INT32,
  uint32: onnx.TensorProto.DataType.UINT32,
  int64: onnx.TensorProto.DataType.INT64,
  uint64: onnx.TensorProto.DataType.UINT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** A node attribute with its ONNX type made explicit (an integer-valued float must stay a float). */
export type Attr =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { string: string };

function toAttribute(name: string, a: Attr): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in a) {return { name, type: T.INT, i: a.int };}
  if ('float' in a) {return { name, type: T.FLOAT, f: a.float };}
  if ('ints' in a) {return { name, type: T.INTS, ints: [...a.ints] };}
  if ('floats' in a) {return { name, type: T.FLOATS, floats: [...a.floats] };}
  return { name, type: T.STRING, s: new TextEncoder().encode(a.string) };
}

function valueInfo(name: string, dtype: DType, dims: readonly (number | string)[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[dtype],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * How weights are stored. fp16 / int8 are the reduced-precision variants of a model: weights in that type, widened
 * to float32 by a Cast (fp16) or a DequantizeLinear with a per-tensor symmetric scale (int8) where they are used.
 * int4 / int2 store MatMul weights block-quantized (32 values per float scale) for `com.microsoft.MatMulNBits`, as
 * onnxruntime's 4-bit quantizer emits them; other weights (embeddings, convolutions, biases) stay float32.
 * Activations stay float32, so the graph's inputs and outputs are the same on every backend.
 */
export const WEIGHT_PRECISIONS = ['fp32', 'fp16', 'int8', 'int4', 'int2'] as const;
export type WeightPrecision = (typeof WEIGHT_PRECISIONS)[number];

/**
 * Precisions the builder can write. int3 is not a catalogue precision: onnxruntime(-web) 1.30's MatMulNBits kernels
 * refuse bits=3 at session creation (measured, see README); the builder writes it so the bench keeps checking.
 */
export type BuildPrecision = WeightPrecision | 'int3';
const NBITS: Partial<Record<BuildPrecision, BlockBits>> = { int4: 4, int3: 3, int2: 2 };
/** Values per scale in block-quantized MatMul weights (onnxruntime's quantizer default). */
export const BLOCK_SIZE = 32;
const MS_DOMAIN = 'com.microsoft';

/** IEEE 754 half-precision bits of a float32 (round to nearest even; overflow to infinity). */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp >= 31) {
    return sign | 0x7c00 | (((x >>> 23) & 0xff) === 0xff && mant !== 0 ? 0x200 : 0);
  }
  if (exp <= 0) {
    if (exp < -10) {
      return sign;
    }
    const m = (mant | 0x800000) >>> (1 - exp);
    return sign | ((m + 0x1000 + ((m >>> 13) & 1) - 1) >>> 13);
  }
  const rounded = (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return sign | (rest > 0x1000 || (rest === 0x1000 && (rounded & 1) === 1) ? rounded + 1 : rounded);
}

export class GraphBuilder {
  private readonly nodes: INodeProto[] = [];
  private readonly initializers: ITensorProto[] = [];
  private readonly inputs: IValueInfoProto[] = [];
  private readonly outputs: IValueInfoProto[] = [];
  private counter = 0;
  private usesMsDomain = false;

  constructor(
    readonly name: string,
    readonly rng: Rng,
    /** How `weight()` and `matMulWeight()` store weights. @default 'fp32' */
    readonly precision: BuildPrecision = 'fp32',
  ) {}

  input(name: string, dtype: DType, dims: readonly (number | string)[]): string {
    this.inputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  /** Marks `value` as a graph output named `name` (adds an Identity when the names differ). */
  output(value: string, name: string, dtype: DType, dims: readonly (number | string)[]): void {
    if (value !== name) {
      this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}_out` });
    }
    this.outputs.push(valueInfo(name, dtype, dims));
  }

  /** normal(0, scale) weights, stored at the builder's precision; returns a float32 value either way. */
  weight(name: string, dims: readonly number[], scale: number): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const values = this.rng.floats(n, scale);
    if (this.precision === 'fp16') {
      const half = Uint16Array.from(values, toFloat16Bits);
      this.raw(`${name}.fp16`, dims, ONNX_DTYPE.float16, new Uint8Array(half.buffer));
      return this.op('Cast', [`${name}.fp16`], { to: { int: ONNX_DTYPE.float32 } });
    }
    if (this.precision === 'int8') {
      const step = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 127 || 1; // no spread: embeddings exceed the stack
      const q = Int8Array.from(values, (v) => Math.max(-127, Math.min(127, Math.round(v / step))));
      this.raw(`${name}.int8`, dims, ONNX_DTYPE.int8, new Uint8Array(q.buffer));
      this.raw(`${name}.zero`, [], ONNX_DTYPE.int8, new Uint8Array(1));
      return this.op('DequantizeLinear', [`${name}.int8`, this.scalar(step), `${name}.zero`]);
    }
    return this.constant(name, values, dims);
  }

  /**
   * x @ W for a fresh normal(0, scale) weight W of [k, n]: a MatMul over `weight()` or, at a block-quantized
   * precision, one MatMulNBits node. Draws the same random values either way, so variants share their weights.
   */
  matMulWeight(x: string, name: string, k: number, n: number, scale: number): string {
    const bits = NBITS[this.precision];
    if (bits === undefined) {
      return this.op('MatMul', [x, this.weight(name, [k, n], scale)]);
    }
    const q = quantizeBlocks(this.rng.floats(k * n, scale), k, n, bits, BLOCK_SIZE);
    this.raw(`${name}.q${bits}`, [n, q.blocksPerColumn, (BLOCK_SIZE * bits) / 8], ONNX_DTYPE.uint8, q.packed);
    this.constant(`${name}.scales`, q.scales, [q.scales.length]);
    this.usesMsDomain = true;
    return this.op('MatMulNBits', [x, `${name}.q${bits}`, `${name}.scales`], {
      K: { int: k },
      N: { int: n },
      bits: { int: bits },
      block_size: { int: BLOCK_SIZE },
    }, MS_DOMAIN);
  }

  private raw(name: string, dims: readonly number[], dataType: number, rawData: Uint8Array): void {
    this.initializers.push({ name, dims: [...dims], dataType, rawData });
  }

  constant(name: string, data: Float32Array | BigInt64Array, dims: readonly number[]): string {
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: data instanceof Float32Array ? ONNX_DTYPE.float32 : ONNX_DTYPE.int64,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** An int64 vector as a Constant node (as exporters write parameters) rather than an initializer. */
  constantNode(values: readonly number[]): string {
    const out = `constant_${this.counter++}`;
    const t = { dims: [values.length], dataType: ONNX_DTYPE.int64, rawData: new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer) };
    this.nodes.push({ opType: 'Constant', name: out, output: [out], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t }] });
    return out;
  }

  scalar(value: number): string {
    return this.constant(`c${this.counter++}`, new Float32Array([value]), []);
  }

  ints(values: readonly number[]): string {
    return this.constant(`i${this.counter++}`, new BigInt64Array(values.map((v) => BigInt(v))), [values.length]);
  }

  /** Appends a node and returns the name of its (single) output. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, domain = ''): string {
    const out = `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push({
      opType,
      domain,
      name: out,
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return out;
  }

  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }, ...(this.usesMsDomain ? [{ domain: MS_DOMAIN, version: 1 }] : [])],
      producerName: 'browser-pool',
      producerVersion: '0.1.0',
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
