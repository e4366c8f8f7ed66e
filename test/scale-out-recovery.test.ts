/**
 * A pool whose only browser is lost and cannot come back at once: a real Chromium SIGKILLed while its relaunch
 * fails for real (the driver then points at a binary that does not exist). The pool keeps relaunching with backoff;
 * waiting requests share one waiter list (no MaxListenersExceededWarning); a request whose deadline
 * falls before the next attempt fails fast with E_NO_CONNECTION carrying the launch error; once launches work again,
 * the pool serves with reference outputs.
 */
import { type BrowserDriver, ChromiumDriver, ErrorCode, type LaunchRequest } from '@browser-pool/browser-harness';
import { ModelCatalogue, runReference } from '@browser-pool/models';
import { ResourcePool } from '@browser-pool/pool';
import { afterAll, expect, it } from 'vitest';

import { collect, FP32_TOLERANCE, worstDiff } from './helpers';

const catalogue = ModelCatalogue.default();
const entry = catalogue.get('vit-tiny');
let pool: ResourcePool | undefined;
afterAll(async () => {
  await pool?.close();
});

it('keeps relaunching a lost browser with backoff; waiting requests wake on each outcome, fail fast past their deadline, and are served once it is back', async () => {
  let broken = false;
  const real = new ChromiumDriver();
  const missing = new ChromiumDriver({ executablePath: '/nonexistent/chromium' });
  const driver: BrowserDriver = { kind: 'chromium', launch: (r: LaunchRequest) => (broken ? missing : real).launch(r) };
  pool = new ResourcePool({ catalogue, hosts: [{ driver, id: 'flaky' }], backends: ['wasm'], health: { knownAnswerIntervalMs: 0 }, reconnect: { initialDelayMs: 300, maxDelayMs: 2000 } });
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  try {
    await pool.initialize();
    const model = await pool.getModel('vision', 'vit-tiny');
    const inputs = entry.sampleInputs({ seed: 9 });
    const expected = await runReference(await entry.source(), inputs);
    const retries = collect(pool, 'host:retry');
    const recoveries = collect(pool, 'recovery');
    broken = true;
    pool.connections[0]!.connection.faults.killBrowser();
    await expect.poll(() => retries.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(retries[0]).toMatchObject({ hostId: 'flaky', code: ErrorCode.BrowserUnavailable, reason: expect.stringMatching(/\/nonexistent\/chromium/) });
    // Backoff grows (jittered, capped) and attempts go on.
    await expect.poll(() => retries.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    expect(Math.max(...retries.map((r) => r.delayMs))).toBeLessThanOrEqual(2000);
    expect(pool.hosts()[0]).toMatchObject({ id: 'flaky', owed: 1, connectionIds: [] });

    // A short deadline that ends before the next attempt: refused at once with the cause, not after sleeping it out.
    const host = pool.hosts()[0]!;
    const shortMs = Math.max(50, (host.nextAttemptAt ?? Date.now()) - Date.now() - 100);
    if (host.nextAttemptAt !== undefined && shortMs > 60) {
      const start = performance.now();
      const error = (await model.run(inputs, { timeoutMs: shortMs }).catch((e: unknown) => e)) as { code: string; message: string; details: Record<string, unknown> };
      expect(error.code).toBe(ErrorCode.NoConnection);
      expect(error.details.lastLaunchError).toBe(ErrorCode.BrowserUnavailable);
      expect(error.message).toMatch(/backing off.*last launch error: .*\/nonexistent\/chromium/);
      expect(performance.now() - start).toBeLessThan(shortMs);
    }

    // 60 requests wait (the old per-request listeners warned past 10); then launches work again.
    const waiting = Array.from({ length: 60 }, () => model.run(inputs, { timeoutMs: 60_000 }));
    await new Promise((r) => setTimeout(r, 1500));
    broken = false;
    const results = await Promise.all(waiting);
    for (const r of results) {
      expect(worstDiff(r.outputs, expected)).toBeLessThanOrEqual(FP32_TOLERANCE);
    }
    expect(recoveries).toContainEqual(expect.objectContaining({ ok: true, browser: 'chromium' }));
    expect(pool.hosts()[0]).toMatchObject({ owed: 0, failures: 0 });
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    expect(pool.listenerCount('connection:up')).toBeLessThanOrEqual(1);
  } finally {
    process.off('warning', onWarning);
  }
}, 90_000);
