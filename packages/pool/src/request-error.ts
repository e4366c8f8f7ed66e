/**
 * A failed request's error as the caller receives it: the same class and code, with where it ran last and how many
 * attempts it made in `details` (`connectionId`, `browser`, `attempts`). A copy, not the original: one connection
 * loss rejects many requests with the same error object, and each caller deserves its own account.
 */
import { BrowserPoolError, InternalError } from '@browser-pool/browser-harness';

export interface RequestContext {
  model: string;
  connectionId: string | undefined;
  browser: string | undefined;
  attempts: number;
}

type ErrorClass = new (message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) => BrowserPoolError;

export function withRequestContext(error: unknown, context: RequestContext): BrowserPoolError {
  const base = error instanceof BrowserPoolError ? error : new InternalError(`unexpected failure: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  const Ctor = base.constructor as ErrorClass;
  const copy = new Ctor(base.message, { cause: base, details: { ...base.details, ...context } });
  copy.stack = base.stack;
  return copy;
}
