import { InvalidInputError, TimeoutError } from '@browser-pool/browser-harness';
import { describe, expect, it } from 'vitest';

import { ANSWERED_MEANWHILE, OpossumBreaker, SHORT_BUDGET } from './breaker';
import { isConnectionFault } from './pool-connection';

const options = { errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeoutMs: 60_000, rollingWindowMs: 10_000 };

async function failWith(breaker: OpossumBreaker, error: Error, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await breaker.fire(() => Promise.reject(error)).catch(() => undefined);
  }
}

describe('which failures open a connection’s breaker', () => {
  it('timeouts of a page that answered nothing meanwhile open it', async () => {
    const breaker = new OpossumBreaker('c1', options);
    await failWith(breaker, new TimeoutError('deadline passed'), 3);
    expect(breaker.state).toBe('open');
    await expect(breaker.fire(() => Promise.resolve(1))).rejects.toMatchObject({ code: 'E_CIRCUIT_OPEN' });
    breaker.shutdown();
  });

  it('timeouts while the page went on answering others (slow in line), and bad input, do not', async () => {
    const breaker = new OpossumBreaker('c2', options);
    const busy = new TimeoutError('deadline passed', { details: { [ANSWERED_MEANWHILE]: 4 } });
    await failWith(breaker, busy, 5);
    await failWith(breaker, new InvalidInputError('bad tensor'), 5);
    expect(breaker.state).toBe('closed');
    expect(await breaker.fire(() => Promise.resolve(7))).toBe(7);
    expect(isConnectionFault(busy)).toBe(false);
    expect(isConnectionFault(new TimeoutError('deadline passed'))).toBe(true);
    breaker.shutdown();
  });

  it('a half-open probe that ran out of a short budget opens it again; one the page answered closes it', async () => {
    const breaker = new OpossumBreaker('c3', { ...options, resetTimeoutMs: 30 });
    await failWith(breaker, new TimeoutError('deadline passed'), 3);
    expect(breaker.state).toBe('open');
    await new Promise((r) => setTimeout(r, 60));
    expect(breaker.state).toBe('halfOpen');
    // Filtered as a busy timeout, opossum took this probe for a success and closed the breaker.
    await failWith(breaker, new TimeoutError('run did not answer within 1 ms', { details: { [SHORT_BUDGET]: 1 } }), 1);
    expect(breaker.state).toBe('open');
    await new Promise((r) => setTimeout(r, 60));
    expect(await breaker.fire(() => Promise.resolve(3))).toBe(3);
    expect(breaker.state).toBe('closed');
    breaker.shutdown();
  });
});
