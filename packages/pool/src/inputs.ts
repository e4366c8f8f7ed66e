/**
 * The `run()` boundary: whatever application code passes is checked here, before the request takes an admission
 * slot, and either becomes a {@link TensorMap} or fails with `E_INVALID_INPUT` saying which input is wrong and what
 * was expected. onnxruntime-web / onnxruntime-common `Tensor` objects are accepted as they are (their users will
 * pass them); plain arrays, missing dims and mismatched lengths are not.
 */
import { InvalidInputError, type Tensor, type TensorMap, validateTensor } from '@browser-pool/browser-harness';

const EXAMPLE = "{ input_ids: tensor('int64', new BigInt64Array(16), [1, 16]) }";

/** The shape of an onnxruntime-common Tensor, read without importing it. */
interface OrtTensorLike {
  type: string;
  dims: readonly number[];
  data: unknown;
  location?: string;
}

function isOrtTensor(value: object): value is OrtTensorLike {
  return 'type' in value && 'dims' in value && 'data' in value && !('dtype' in value);
}

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return `a plain array of ${value.length}`;
  }
  if (typeof value === 'object') {
    return `an object with keys [${Object.keys(value).join(', ')}]`;
  }
  return typeof value === 'function' ? 'a function' : `${typeof value} ${JSON.stringify(value) ?? ''}`;
}

function toTensor(name: string, value: unknown): Tensor {
  const where = `input "${name}"`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(
      `${where} must be a tensor { dtype, dims, data } (or an onnxruntime Tensor), got ${describe(value)}; ` +
        `wrap plain arrays, e.g. tensor('float32', new Float32Array(values), dims)`,
      { details: { input: name } },
    );
  }
  let candidate: { dtype: unknown; dims: unknown; data: unknown };
  if (isOrtTensor(value)) {
    if (value.location !== undefined && value.location !== 'cpu' && value.location !== 'cpu-pinned') {
      throw new InvalidInputError(`${where} is an onnxruntime Tensor on "${value.location}"; download it first (await t.getData())`, {
        details: { input: name },
      });
    }
    candidate = { dtype: value.type, dims: value.dims, data: value.data };
  } else {
    const v = value as Partial<Record<'dtype' | 'dims' | 'data', unknown>>;
    const missing = (['dtype', 'dims', 'data'] as const).filter((k) => v[k] === undefined);
    if (missing.length > 0) {
      throw new InvalidInputError(`${where} is missing ${missing.join(', ')}; a tensor is { dtype, dims, data }, e.g. ${EXAMPLE}`, {
        details: { input: name, missing },
      });
    }
    candidate = { dtype: v.dtype, dims: v.dims, data: v.data };
  }
  validateTensor(candidate, where);
  return { dtype: candidate.dtype, dims: [...candidate.dims], data: candidate.data };
}

/**
 * Checks `inputs` against the model's input names and turns each value into a tensor.
 * @throws InvalidInputError (or UnsupportedDtypeError for a dtype the wire cannot carry)
 */
export function normalizeInputs(model: string, inputs: unknown, expected: readonly string[]): TensorMap {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
    throw new InvalidInputError(
      `run() of "${model}" takes an object of named tensors, e.g. ${EXAMPLE}; got ${describe(inputs)}` +
        (expected.length > 0 ? `; this model takes [${expected.join(', ')}]` : ''),
    );
  }
  const names = Object.keys(inputs);
  const missing = expected.filter((n) => !names.includes(n));
  const unknown = expected.length === 0 ? [] : names.filter((n) => !expected.includes(n));
  if (names.length === 0 || missing.length > 0 || unknown.length > 0) {
    throw new InvalidInputError(
      `model "${model}" takes inputs [${expected.join(', ')}]` +
        (names.length === 0 && missing.length === 0 ? '; none were given' : '') +
        (missing.length > 0 ? `; missing: ${missing.join(', ')}` : '') +
        (unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''),
      { details: { expected: [...expected], given: names } },
    );
  }
  const out: TensorMap = {};
  for (const name of names) {
    out[name] = toTensor(name, (inputs as Record<string, unknown>)[name]);
  }
  return out;
}
