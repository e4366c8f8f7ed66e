import { ConnectionLostError, OVERTAKEN, TimeoutError } from '@browser-pool/browser-harness';
import { describe, expect, it } from 'vitest';

import { isBusyTimeout, SHORT_BUDGET } from './breaker';
import { isConnectionFault } from './pool-connection';
import { beforeDeadline, judgedTimeout } from './timeout-judgement';

const timeout = (details?: Record<string, unknown>): TimeoutError => new TimeoutError('run did not answer within 1 ms', details === undefined ? undefined : { details });

describe('which timeouts count against a page', () => {
  it('a run given less time than a call costs there is not counted; one given its fair time is', () => {
    // The late start that once opened the healthy connection's breaker: 1 ms left, calls take ~30 ms there.
    const late = judgedTimeout(timeout(), 0, 1, 30);
    expect(isBusyTimeout(late)).toBe(true);
    expect(isConnectionFault(late)).toBe(false);
    expect((late as TimeoutError).details?.[SHORT_BUDGET]).toBe(1);
    expect((late as Error).message).toContain('it had 1 ms; a call takes about 30 ms there');
    // A stalled page given ten calls' worth of time counts.
    expect(isConnectionFault(judgedTimeout(timeout(), 0, 300, 30))).toBe(true);
  });

  it('without any estimate for the model there, a timeout counts (nothing says the budget was short)', () => {
    expect(isConnectionFault(judgedTimeout(timeout(), 0, 1, undefined))).toBe(true);
  });

  it('a call the page lost counts even with a short budget; one slow in line behind answered calls does not', () => {
    expect(isConnectionFault(judgedTimeout(timeout({ [OVERTAKEN]: true }), 3, 1, 30))).toBe(true);
    expect(isConnectionFault(judgedTimeout(timeout(), 2, 300, 30))).toBe(false);
  });

  it('other errors pass through unchanged', () => {
    const lost = new ConnectionLostError('socket closed');
    expect(judgedTimeout(lost, 0, 1, 30)).toBe(lost);
  });

  it("a deadline that passes while the request waits for a load is not the page's fault, and the load goes on", async () => {
    let finish: (value: string) => void = () => undefined;
    const load = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const waited = await beforeDeadline(load, Date.now() + 20, 'waiting for "m" to load').catch((e: unknown) => e);
    expect(waited).toBeInstanceOf(TimeoutError);
    expect(isConnectionFault(waited)).toBe(false);
    expect((waited as TimeoutError).details?.[SHORT_BUDGET]).toBeGreaterThanOrEqual(15);
    finish('loaded');
    expect(await load).toBe('loaded');
    expect(await beforeDeadline(Promise.resolve('ready'), Date.now() + 20, 'x')).toBe('ready');
  });

  it("the caller's abort ends the wait for a load at once (E_ABORTED), before the deadline", async () => {
    const controller = new AbortController();
    const started = performance.now();
    const waiting = beforeDeadline(new Promise(() => undefined), Date.now() + 5000, 'waiting for "m" to load', controller.signal).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 10);
    const error = await waiting;
    expect((error as { code?: string }).code).toBe('E_ABORTED');
    expect(isConnectionFault(error)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
