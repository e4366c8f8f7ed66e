/**
 * Tensor element types the wire carries: exactly the numeric and boolean types onnxruntime-web accepts from typed
 * arrays. `string` tensors are refused with `E_UNSUPPORTED_DTYPE` (they have no fixed-width byte form).
 */
import { UnsupportedDtypeError } from './errors';

export const DTYPES = [
  'float32',
  'float16',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
] as const;
export type DType = (typeof DTYPES)[number];

/** The typed array that holds each dtype. float16 is carried as raw IEEE half bits in a Uint16Array. */
export interface TypedArrayByDType {
  float32: Float32Array;
  float16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}
export type AnyTypedArray = TypedArrayByDType[DType];

interface TypedArrayCtor<T> {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  new (length: number): T;
}

const CTORS: { [K in DType]: TypedArrayCtor<TypedArrayByDType[K]> } = {
  float32: Float32Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

/** Throws `E_UNSUPPORTED_DTYPE` for anything outside {@link DTYPES}, naming what is supported. */
export function assertDType(value: unknown, where: string): asserts value is DType {
  if (!isDType(value)) {
    throw new UnsupportedDtypeError(
      `${where}: tensor dtype ${JSON.stringify(value)} is not supported on the wire; use one of ${DTYPES.join(', ')}`,
    );
  }
}

export function bytesPerElement(dtype: DType): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

export function typedArrayCtor<K extends DType>(dtype: K): TypedArrayCtor<TypedArrayByDType[K]> {
  return CTORS[dtype];
}

/** Whether `data` is the typed array class that carries `dtype`. */
export function matchesDType(dtype: DType, data: unknown): boolean {
  return data instanceof CTORS[dtype];
}
