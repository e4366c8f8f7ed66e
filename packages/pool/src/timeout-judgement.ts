/**
 * How the pool tells a timeout that says something about a page (it had its fair time and answered nothing, or lost
 * the call) from one that says only that the request's deadline was short: the latter never counts toward the
 * connection's breaker or health (see `isBusyTimeout`).
 */
import { AbortedError, OVERTAKEN, TimeoutError } from '@browser-pool/browser-harness';

import { ANSWERED_MEANWHILE, SHORT_BUDGET } from './breaker';

/**
 * Resolves with `promise`, or fails with `E_TIMEOUT` at `deadline`, or with `E_ABORTED` when `signal` aborts (the
 * promise itself goes on for others). The timeout carries {@link SHORT_BUDGET}: the request ran out of time waiting,
 * which says nothing about the page.
 */
export function beforeDeadline<T>(promise: Promise<T>, deadline: number, what: string, signal?: AbortSignal): Promise<T> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, reject) => {
    const fail = (): void => reject(new TimeoutError(`${what}: the request's deadline passed`, { details: { [SHORT_BUDGET]: Date.now() - started } }));
    timer = setTimeout(fail, Math.max(0, deadline - started));
    onAbort = () => reject(new AbortedError(`${what}: aborted by the caller`, { cause: signal?.reason }));
    if (signal?.aborted === true) {
      onAbort();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, cut]).finally(() => {
    clearTimeout(timer);
    if (onAbort !== undefined) {
      signal?.removeEventListener('abort', onAbort);
    }
  });
}

/**
 * A run's timeout as the breaker should judge it: not the page's fault when the page answered other calls meanwhile
 * (slow in line) or was given less time than such a call takes there ({@link SHORT_BUDGET}); the page's fault when it
 * answered a later call on the same session first (it lost this one) or had its fair time and answered nothing.
 */
export function judgedTimeout(error: unknown, meanwhile: number, budgetMs: number, expectedMs: number | undefined): unknown {
  if (!(error instanceof TimeoutError) || error.details?.[OVERTAKEN] === true) {
    return error;
  }
  if (meanwhile > 0) {
    return new TimeoutError(`${error.message} (the page answered ${meanwhile} other calls meanwhile: slow in line, not counted against it)`, {
      cause: error,
      details: { ...error.details, [ANSWERED_MEANWHILE]: meanwhile },
    });
  }
  if (expectedMs !== undefined && budgetMs < expectedMs) {
    return new TimeoutError(`${error.message} (it had ${Math.round(budgetMs)} ms; a call takes about ${Math.round(expectedMs)} ms there: not counted against it)`, {
      cause: error,
      details: { ...error.details, [SHORT_BUDGET]: budgetMs },
    });
  }
  return error;
}
