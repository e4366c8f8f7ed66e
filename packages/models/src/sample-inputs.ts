/** Deterministic sample inputs from input specs: normal floats, in-range integers, booleans. */
import { type TensorMap, typedArrayCtor } from '@browser-pool/browser-harness/protocol';

import { Rng } from './random';
import type { InputSpec, SampleOptions } from './types';

export interface IntRange {
  /** Exclusive upper bound of integer inputs (e.g. the vocabulary size for token ids). @default 100 */
  intMax?: number;
}

export function resolveDims(dims: readonly (number | string)[], batch: number): number[] {
  return dims.map((d) => (typeof d === 'number' ? d : d === 'batch' ? batch : 1));
}

export function sampleInputs(specs: readonly InputSpec[], options: SampleOptions & IntRange = {}): TensorMap {
  const rng = new Rng(options.seed ?? 1);
  const intMax = options.intMax ?? 100;
  const out: TensorMap = {};
  for (const spec of specs) {
    const dims = resolveDims(spec.dims, options.batch ?? 1);
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new (typedArrayCtor(spec.dtype))(n);
    for (let i = 0; i < n; i++) {
      if (data instanceof Float32Array) {
        data[i] = rng.normal();
      } else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
        data[i] = BigInt(rng.int(intMax));
      } else {
        data[i] = spec.dtype === 'bool' ? rng.int(2) : spec.dtype === 'float16' ? 0x3c00 : rng.int(Math.min(intMax, 127));
      }
    }
    out[spec.name] = { dtype: spec.dtype, dims, data };
  }
  return out;
}
