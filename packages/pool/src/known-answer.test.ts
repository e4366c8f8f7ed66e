import { CircuitOpenError, TimeoutError } from '@browser-pool/browser-harness';
import { ModelCatalogue } from '@browser-pool/models';
import { describe, expect, it } from 'vitest';

import { KnownAnswer } from './known-answer';
import type { PoolConnection } from './pool-connection';

/** Just what the check touches of a connection: a ping that answers, a health run that fails with `error`. */
function connectionFailingWith(error: Error): { pc: PoolConnection; stats: { pingMs?: number; knownAnswerOk?: boolean } } {
  const stats: { pingMs?: number; knownAnswerOk?: boolean } = { knownAnswerOk: true };
  const pc = { connection: { ping: () => Promise.resolve(2) }, healthRun: () => Promise.reject(error), stats } as unknown as PoolConnection;
  return { pc, stats };
}

describe('the known-answer check', () => {
  const check = new KnownAnswer(ModelCatalogue.default());

  it('refused by an open breaker, it is not run: no verdict on the page, which keeps its last result', async () => {
    // Counted as a failure, it quarantined a connection whose breaker had just opened and replaced it, although the
    // breaker's own half-open probe would have brought it back.
    const { pc, stats } = connectionFailingWith(new CircuitOpenError('connection c1: circuit breaker is open after repeated failures'));
    const outcome = await check.check(pc);
    expect(outcome.verdict).toBe('not run');
    expect(outcome.detail).toMatch(/not run: connection c1: circuit breaker is open/);
    expect(stats.knownAnswerOk).toBe(true);
  });

  it('a page that does not compute the answer in time fails it', async () => {
    const { pc, stats } = connectionFailingWith(new TimeoutError('run did not answer within 30000 ms'));
    const outcome = await check.check(pc);
    expect(outcome.verdict).toBe('fail');
    expect(stats.knownAnswerOk).toBe(false);
  });
});
