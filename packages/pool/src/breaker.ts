/**
 * Circuit breaker per connection, behind a small interface (cockatiel's IBreaker idea) and implemented with opossum:
 * a maintained, widely used breaker with rolling windows and half-open probes, so we do not hand-roll the state
 * machine. Only failures that are the connection's fault count; bad input or a caller's abort never opens it.
 */
import { BrowserPoolError, CircuitOpenError, ClosedError, ErrorCode } from '@browser-pool/browser-harness';
import CircuitBreaker from 'opossum';

export type BreakerState = 'closed' | 'open' | 'halfOpen';

export interface Breaker {
  readonly state: BreakerState;
  /** Runs `action` through the breaker; rejects with `E_CIRCUIT_OPEN` at once while open. */
  fire<T>(action: () => Promise<T>): Promise<T>;
  onStateChange(listener: (state: BreakerState) => void): void;
  shutdown(): void;
}

/** Errors that say nothing about the connection's health. */
const NOT_THE_CONNECTIONS_FAULT: ReadonlySet<string> = new Set([
  ErrorCode.InvalidInput,
  ErrorCode.UnsupportedDtype,
  ErrorCode.Aborted,
  ErrorCode.ModelNotFound,
  ErrorCode.ModelLoad,
  ErrorCode.BackendUnavailable,
  ErrorCode.SessionNotFound,
  // One page worker missed its deadline or crashed and the page replaced it: one model's fault, already healed in
  // the page; the connection itself answered (counting it would shut out the page's other models).
  ErrorCode.WorkerLost,
]);

/**
 * Set in an `E_TIMEOUT`'s details when the connection answered other calls while this one waited: the call was slow
 * in line behind them (a deadline too short for the load), not failed by a page that stopped working.
 */
export const ANSWERED_MEANWHILE = 'answeredMeanwhile';

/**
 * Set in an `E_TIMEOUT`'s details (milliseconds) when the page was given less time than the call costs there: the
 * request's deadline passed while it waited for the model to load (the load has its own deadline, `loadTimeoutMs`),
 * or the run started with less time left than a call of the model takes on that page (its observed compute time, or
 * its load time before any call finished). Such a timeout says nothing about the page.
 */
export const SHORT_BUDGET = 'shortBudgetMs';

/** A timeout that says the caller's deadline was short for the load, not that the connection is sick. */
export function isBusyTimeout(error: unknown): boolean {
  return (
    error instanceof BrowserPoolError &&
    error.code === ErrorCode.Timeout &&
    (typeof error.details?.[ANSWERED_MEANWHILE] === 'number' || typeof error.details?.[SHORT_BUDGET] === 'number')
  );
}

export interface OpossumBreakerOptions {
  errorThresholdPercentage: number;
  volumeThreshold: number;
  resetTimeoutMs: number;
  rollingWindowMs: number;
}

export class OpossumBreaker implements Breaker {
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;

  constructor(
    private readonly label: string,
    options: OpossumBreakerOptions,
  ) {
    this.breaker = new CircuitBreaker((action: () => Promise<unknown>) => action(), {
      timeout: false, // every call carries its own deadline
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      resetTimeout: options.resetTimeoutMs,
      rollingCountTimeout: options.rollingWindowMs,
      errorFilter: (error: unknown) => (error instanceof BrowserPoolError && NOT_THE_CONNECTIONS_FAULT.has(error.code)) || (isBusyTimeout(error) && !this.provesNothing(error)),
    });
  }

  /**
   * A half-open probe that ran out of its short budget proved nothing about the page: counted as a failure, it opens
   * the breaker again for another probe later (filtered, opossum would take it for a success and close the breaker
   * on a page that answered nothing). A probe slow in line behind calls the page answered did show it working.
   */
  private provesNothing(error: unknown): boolean {
    return this.breaker.halfOpen && error instanceof BrowserPoolError && typeof error.details?.[SHORT_BUDGET] === 'number';
  }

  get state(): BreakerState {
    return this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  async fire<T>(action: () => Promise<T>): Promise<T> {
    try {
      return (await this.breaker.fire(action)) as T;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EOPENBREAKER') {
        throw new CircuitOpenError(`${this.label}: circuit breaker is open after repeated failures; traffic goes elsewhere`);
      }
      if (code === 'ESHUTDOWN') {
        throw new ClosedError(`${this.label}: connection closed`);
      }
      throw error;
    }
  }

  onStateChange(listener: (state: BreakerState) => void): void {
    this.breaker.on('open', () => listener('open'));
    this.breaker.on('halfOpen', () => listener('halfOpen'));
    this.breaker.on('close', () => listener('closed'));
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}
