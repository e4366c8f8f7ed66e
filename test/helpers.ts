/** Shared by browser tests: a reference comparison that reports the worst element, and a tolerance. */
import type { TensorMap } from '@browser-pool/browser-harness';
import { maxAbsDiff } from '@browser-pool/models';

/** Max abs diff allowed between browser and onnxruntime-node fp32 outputs (the bar). */
export const FP32_TOLERANCE = 1e-4;

/** Max |browser - reference| over every output; throws if an output is missing. */
export function worstDiff(actual: TensorMap, expected: TensorMap): number {
  let worst = 0;
  for (const [name, ref] of Object.entries(expected)) {
    const got = actual[name];
    if (got === undefined) {
      throw new Error(`output "${name}" missing from the browser result (got ${Object.keys(actual).join(', ')})`);
    }
    worst = Math.max(worst, maxAbsDiff(got, ref));
  }
  return worst;
}
