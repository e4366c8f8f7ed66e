/**
 * The known-wrong-kernel guard: each model's graph is inspected once at `getModel` against the models package's
 * table, and a connection skips a backend where the model hits a case for that page's onnxruntime-web version
 * (recorded as a fallback with code E_KNOWN_WRONG_KERNEL, which the recorder stores in the compatibility matrix).
 * When every allowed backend is such a one, the load fails with KnownWrongKernelError instead of wrong numbers.
 */
import { type Backend, ErrorCode, KnownWrongKernelError } from '@browser-pool/browser-harness';
import { describeHits, hitsOn, inspectGraph, type KernelHit, knownWrongHits, loadModelBytes, type ModelEntry } from '@browser-pool/models';

import type { BackendFallback } from './model-handle';
import type { PoolModel } from './pool-model';

/** The table's hits in the entry's graph; none when the bytes do not parse (the load then fails with the reason). */
export async function knownWrongHitsOf(entry: ModelEntry): Promise<KernelHit[]> {
  const bytes = await loadModelBytes(await entry.source());
  try {
    return knownWrongHits(inspectGraph(bytes));
  } catch {
    return [];
  }
}

/** The fallback that keeps `model` off `backend` on a page running onnxruntime-web `ortVersion`, if any. */
export function knownWrongFallback(model: PoolModel, backend: Backend, ortVersion: string): BackendFallback | undefined {
  const hits = hitsOn(model.knownWrong ?? [], backend, ortVersion);
  if (hits.length === 0) {
    return undefined;
  }
  return { backend, code: ErrorCode.KnownWrongKernel, reason: `onnxruntime-web ${ortVersion} ${backend} computes this model wrongly: ${describeHits(hits)}` };
}

/** The error when every backend was skipped as known-wrong; undefined when any failed for another reason. */
export function knownWrongOnly(model: PoolModel, browser: string, fallbacks: readonly BackendFallback[]): KnownWrongKernelError | undefined {
  if (fallbacks.length === 0 || fallbacks.some((f) => f.code !== ErrorCode.KnownWrongKernel)) {
    return undefined;
  }
  return new KnownWrongKernelError(
    `model "${model.entry.name}" hits a known-wrong kernel on every allowed backend [${model.backends.join(', ')}] in ${browser}: ` +
      `${fallbacks.map((f) => f.reason).join('; ')}. Allow a backend where it is right (e.g. backends: ['webgpu', 'wasm']), ` +
      'or pass allowKnownWrongKernels: true to run it anyway (outputs will differ from the reference)',
    { details: { fallbacks, browser } },
  );
}
