import { type AnyTypedArray, assertDType, type DType, matchesDType, type TypedArrayByDType } from './dtypes';
import { InvalidInputError, TensorTooLargeError } from './errors';

/** A dense tensor: element type, shape and the typed array holding its elements in row-major order. */
export interface Tensor<K extends DType = DType> {
  readonly dtype: K;
  readonly dims: readonly number[];
  readonly data: TypedArrayByDType[K];
}

/** Named tensors, as model inputs and outputs are passed. */
export type TensorMap = Record<string, Tensor>;

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    n *= d;
  }
  return n;
}

/**
 * Builds a tensor after checking that dims are non-negative integers, the typed array matches the dtype and its
 * length equals the product of dims.
 */
export function tensor<K extends DType>(dtype: K, data: TypedArrayByDType[K], dims: readonly number[]): Tensor<K> {
  validateTensor({ dtype, data, dims }, 'tensor');
  return { dtype, data, dims: [...dims] };
}

/** Checks a tensor that came from user code; throws `E_INVALID_INPUT` / `E_UNSUPPORTED_DTYPE` saying what is wrong. */
export function validateTensor(t: { dtype: unknown; dims: unknown; data: unknown }, where: string): asserts t is Tensor {
  assertDType(t.dtype, where);
  if (!Array.isArray(t.dims) || !t.dims.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw new InvalidInputError(`${where}: dims must be an array of non-negative integers, got ${JSON.stringify(t.dims)}`);
  }
  if (!matchesDType(t.dtype, t.data)) {
    const got = (t.data as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof t.data;
    throw new InvalidInputError(`${where}: dtype ${t.dtype} needs its own typed array, got ${got}`);
  }
  const expected = elementCount(t.dims as number[]);
  const length = (t.data as AnyTypedArray).length;
  if (length !== expected) {
    throw new InvalidInputError(
      `${where}: dims ${JSON.stringify(t.dims)} hold ${expected} elements but data has ${length}`,
    );
  }
}

/** Default largest tensor payload of one call or reply (all its tensors together): 1 GiB. */
export const DEFAULT_MAX_TENSOR_BYTES = 1024 ** 3;

/**
 * Throws `E_TENSOR_TOO_LARGE` when `tensors` together exceed `maxBytes`, naming the limit and the option that sets
 * it, so the caller learns before anything is sent.
 */
export function assertTensorBytes(tensors: readonly { name: string; tensor: Tensor }[], maxBytes: number, what: string): void {
  const total = tensors.reduce((n, t) => n + t.tensor.data.byteLength, 0);
  if (total > maxBytes) {
    const sizes = tensors.map((t) => `${t.name}: ${t.tensor.data.byteLength} B`).join(', ');
    throw new TensorTooLargeError(
      `${what} carries ${total} tensor bytes (${sizes}), above maxTensorBytes = ${maxBytes}; ` +
        'split the input, or raise the harness option maxTensorBytes (pool option harness.maxTensorBytes) where the browser can hold it',
      { details: { totalBytes: total, maxTensorBytes: maxBytes } },
    );
  }
}
