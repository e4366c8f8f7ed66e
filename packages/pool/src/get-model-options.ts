/**
 * `pool.getModel(type, name, options)` options as untyped callers may send them, checked before anything loads.
 * Unchecked, `null` options threw a bare TypeError, and session options the page's schema refuses (a number, an unknown
 * key such as `executionProviders`, a bogus `graphOptimizationLevel`) came back from the page as a protocol error:
 * the load failed on every connection and the caller read E_NO_CONNECTION, not what was wrong.
 */
import { InvalidOptionsError, sessionOptionsSchema } from '@browser-pool/browser-harness';

const TAKES = 'graphOptimizationLevel, freeDimensionOverrides, webgpu { preferredLayout, enableGraphCapture, outputsOnDevice }, webnn { deviceType }';

function flags(model: string, o: Record<string, unknown>): void {
  for (const key of ['inline', 'allowKnownWrongKernels'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') {
      throw new InvalidOptionsError(`getModel("${model}"): ${key} must be true or false, got ${JSON.stringify(o[key]) ?? typeof o[key]}`);
    }
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new InvalidOptionsError(`getModel("${model}"): signal must be an AbortSignal (new AbortController().signal)`);
  }
}

/**
 * @throws InvalidOptionsError saying which option is wrong and what it takes (backends are checked where they are
 * resolved, against the pool's own)
 */
export function checkGetModelOptions(model: string, options: unknown): void {
  if (options === undefined) {
    return;
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionsError(`getModel("${model}"): options must be an object such as { backends: ['wasm'] }, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const o = options as Record<string, unknown>;
  flags(model, o);
  if (o.sessionOptions !== undefined) {
    const parsed = sessionOptionsSchema.safeParse(o.sessionOptions);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.length === 0 ? 'sessionOptions' : i.path.join('.')}: ${i.message}`).join('; ');
      throw new InvalidOptionsError(`getModel("${model}"): sessionOptions are not valid (${issues}); they take ${TAKES}`);
    }
  }
}
