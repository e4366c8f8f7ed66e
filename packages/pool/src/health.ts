/** A 0-100 health score per connection from what was observed; pure, so the weights are unit-tested. */

export interface HealthInputs {
  /** Failures in a row (any connection-level failure). */
  consecutiveFailures: number;
  /** Failed / all over the connection's life so far (0..1). */
  errorRate: number;
  /** Latest heartbeat round trip (ms), if any. */
  pingMs: number | undefined;
  /** Result of the latest known-answer inference: undefined when none ran yet. */
  knownAnswerOk: boolean | undefined;
  /** Connection lost and replaced count for this browser slot. */
  drops: number;
  breakerOpen: boolean;
  /** Page heap / recycle limit (0..), when both are known. */
  memoryPressure?: number | undefined;
}

/**
 * 100 = healthy. Weights: consecutive failures up to -40 (3 in a row saturate), error rate up to -20, slow heartbeat
 * up to -15 (100 ms or more), a wrong known answer -30, drops -5 each up to -15, a page heap nearing its recycle
 * limit up to -10 (from 80 % to 100 % of it); an open breaker caps the score at 10.
 */
export function healthScore(h: HealthInputs): number {
  let score = 100;
  score -= 40 * Math.min(1, h.consecutiveFailures / 3);
  score -= 20 * Math.min(1, Math.max(0, h.errorRate));
  if (h.pingMs !== undefined) {
    score -= 15 * Math.min(1, Math.max(0, h.pingMs - 10) / 90);
  }
  if (h.knownAnswerOk === false) {
    score -= 30;
  }
  score -= Math.min(15, 5 * h.drops);
  if (h.memoryPressure !== undefined) {
    score -= 10 * Math.min(1, Math.max(0, (h.memoryPressure - 0.8) / 0.2));
  }
  if (h.breakerOpen) {
    score = Math.min(score, 10);
  }
  return Math.max(0, Math.round(score));
}

/** Exponentially weighted moving average; `alpha` is the weight of the newest sample. */
export function ewma(previous: number | undefined, sample: number, alpha = 0.2): number {
  return previous === undefined ? sample : previous + alpha * (sample - previous);
}
