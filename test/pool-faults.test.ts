/**
 * Real faults under load on a pool of two Chromium connections: a browser SIGKILLed with 100+ requests in flight, a
 * page whose main thread hangs, and a page that stalls long enough for its breaker to open and later close.
 */
import { ErrorCode } from '@browser-pool/browser-harness';
import { ModelCatalogue, runReference } from '@browser-pool/models';
import { type PoolOptions, ResourcePool } from '@browser-pool/pool';
import { afterEach, describe, expect, it } from 'vitest';

import { collect, FP32_TOLERANCE, worstDiff } from './helpers';

const catalogue = ModelCatalogue.default();
const entry = catalogue.get('vit-tiny');
let pool: ResourcePool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

async function chromiumPool(count: number, options: PoolOptions = {}): Promise<ResourcePool> {
  // maxConnections = count: these tests are about recovery, so the autoscaler must not add connections under the backlog.
  pool = new ResourcePool({
    catalogue,
    browsers: Array.from({ length: count }, () => 'chromium' as const),
    backends: ['wasm'],
    health: { knownAnswerIntervalMs: 0 },
    ...options,
    scaling: { maxConnections: count, ...options.scaling },
  });
  await pool.initialize();
  return pool;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const twoChromium = (options: PoolOptions = {}): Promise<ResourcePool> => chromiumPool(2, options);


describe('faults under load', () => {
  it('SIGKILL of a browser with 100+ requests in flight: every request settles, >= 99% succeed, a replacement is up within 15 s', async () => {
    const p = await twoChromium();
    const model = await p.getModel('vision', 'vit-tiny');
    const inputs = entry.sampleInputs({ seed: 11 });
    const expected = await runReference(await entry.source(), inputs);
    const recoveries = collect(p, 'recovery');
    const retries = collect(p, 'inference:retry');
    for (const c of p.connections) {
      await model.run(inputs); // warm the model on both pages
      void c;
    }
    const victim = p.connections[0]!;
    const runs = Array.from({ length: 200 }, () => model.run(inputs));
    expect(p.stats().queueDepth).toBeGreaterThanOrEqual(100);
    victim.connection.faults.killBrowser();
    const settled = await Promise.allSettled(runs);
    const ok = settled.filter((s) => s.status === 'fulfilled').map((s) => (s).value);
    expect(ok.length / runs.length).toBeGreaterThanOrEqual(0.99);
    for (const r of ok) {
      expect(worstDiff(r.outputs, expected)).toBeLessThanOrEqual(FP32_TOLERANCE);
    }
    expect(retries.some((r) => r.fromConnectionId === victim.id && r.code === ErrorCode.ConnectionLost)).toBe(true);
    await expect.poll(() => recoveries.length, { timeout: 15_000 }).toBe(1);
    expect(recoveries[0]).toMatchObject({ lostConnectionId: victim.id, ok: true });
    expect(recoveries[0]!.recoveryMs).toBeLessThan(15_000);
    expect(p.connections).toHaveLength(2);
    // The replacement serves the model (re-created there on demand).
    const after = await Promise.all(Array.from({ length: 20 }, () => model.run(inputs)));
    expect(new Set(after.map((r) => r.connectionId)).size).toBe(2);
  });

  it('with a warm spare, a SIGKILLed browser is replaced at once and a new spare is launched', async () => {
    const p = await twoChromium({ scaling: { spareConnections: 1 } });
    expect(p.stats().spares).toBe(1);
    const recoveries = collect(p, 'recovery');
    const victim = p.connections[0]!;
    victim.connection.faults.killBrowser();
    await expect.poll(() => recoveries.length, { timeout: 10_000 }).toBe(1);
    expect(recoveries[0]!.recoveryMs).toBeLessThan(500);
    expect(p.connections).toHaveLength(2);
    expect(p.connections.map((c) => c.id)).toContain(recoveries[0]!.replacementId);
    const model = await p.getModel('vision', 'vit-tiny');
    const result = await model.run(entry.sampleInputs());
    expect(result.outputs.logits?.dims).toEqual([1, 10]);
    await expect.poll(() => p.stats().spares, { timeout: 20_000 }).toBe(1);
  });

  it('a page that stops responding is detected by the heartbeat and its requests are retried elsewhere', async () => {
    const p = await twoChromium({ harness: { channel: { heartbeatIntervalMs: 250, maxMissedPongs: 8 } } });
    const model = await p.getModel('vision', 'vit-tiny');
    const inputs = entry.sampleInputs();
    await Promise.all(Array.from({ length: 10 }, () => model.run(inputs)));
    const hung = p.connections[0]!;
    const downs = collect(p, 'connection:down');
    await hung.connection.faults.freezePage();
    const results = await Promise.all(Array.from({ length: 40 }, () => model.run(inputs)));
    expect(downs).toContainEqual(expect.objectContaining({ connectionId: hung.id, code: ErrorCode.ConnectionLost, reason: expect.stringMatching(/heartbeat/) }));
    expect(results.some((r) => r.attempts > 1)).toBe(true);
    expect(results.every((r) => r.connectionId !== hung.id)).toBe(true);
  });

  it('a page that loses some answers while giving others opens its breaker: calls it lost are not taken for slow ones', async () => {
    // One connection, so that every call lands on the lossy page and each lost one waits while others are answered.
    const p = await chromiumPool(1, { breaker: { volumeThreshold: 3, errorThresholdPercentage: 30, resetTimeoutMs: 60_000, rollingWindowMs: 30_000 } });
    const model = await p.getModel('vision', 'vit-tiny');
    const inputs = entry.sampleInputs();
    await Promise.all(Array.from({ length: 5 }, () => model.run(inputs)));
    const lossy = p.connections[0]!;
    const states = collect(p, 'breaker:state');
    // From now on every second run reply of the page never leaves it; its heartbeats and other replies do.
    await lossy.connection.faults.dropRunReplies();
    const opened = (): boolean => states.some((s) => s.state === 'open');
    const lost: string[] = [];
    let answered = 0;
    // Three clients calling in turn, as steady traffic does, until the breaker opens (or 30 s).
    const until = Date.now() + 30_000;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (!opened() && Date.now() < until) {
          await model.run(inputs, { timeoutMs: 1500 }).then(
            () => answered++,
            (error: Error) => error.message.includes('so the page lost this one') && lost.push(error.message),
          );
        }
      }),
    );
    // Before, each lost call timed out as "slow in line" (the page answered others meanwhile) and did not count: the
    // breaker stayed closed, and every call went on waiting out its whole deadline there.
    expect(states).toContainEqual({ connectionId: lossy.id, browser: 'chromium', state: 'open' });
    expect(answered).toBeGreaterThan(0);
    // Callers see the page's own loss: a running request's deadline no longer hands it the queue's "waited in the
    // queue ... before it ran" (p-queue raced running jobs against the deadline's signal; CI saw it once).
    console.log(`lossy page: ${answered} answered, ${lost.length} failed as lost by the page before the breaker opened`);
    expect(lost.length).toBeGreaterThan(0);
    // With its only connection's breaker open, a call fails at once instead of waiting out its deadline there.
    await expect(model.run(inputs)).rejects.toMatchObject({ code: ErrorCode.NoConnection });
  });

  it('repeated failures open the breaker and divert traffic; a half-open probe closes it again', async () => {
    const p = await twoChromium({
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 1500, rollingWindowMs: 2000 },
      health: { knownAnswerIntervalMs: 500 },
    });
    const model = await p.getModel('vision', 'vit-tiny');
    const inputs = entry.sampleInputs();
    const warm = await Promise.all(Array.from({ length: 10 }, () => model.run(inputs)));
    // Routing keeps a model on the connections that hold it: the sick one must be one that serves it.
    const sick = p.connections.find((c) => warm.some((r) => r.connectionId === c.id))!;
    const well = p.connections.find((c) => c !== sick)!;
    const states = collect(p, 'breaker:state');
    const quarantines = collect(p, 'connection:quarantine');
    // The warm-up's successes leave the breaker's 2 s window first: routing sends the stalled page about one call per
    // deadline (its stuck calls make it look busy), and ten successes in the window once kept it under 50 % for 5 s.
    await sleep(2100);
    // 6 s: long enough that the bursts below reach it on a loaded CI machine (4 s once ended before the breaker
    // opened), well under the heartbeat's 10 s limit (the page must stay connected, only slow).
    await sick.connection.faults.stallPage(6000);
    // Short deadlines: calls that land on the stalled page time out (E_TIMEOUT), which counts against its breaker.
    // Bursts of 12: routing steers away from a connection whose health dropped (up to 2 calls' worth), so only calls
    // beyond what the healthy one can take soon land on the sick one.
    // Until the breaker opens, for up to 5 s of the 6 s stall (not a count of bursts: on a fast machine the healthy
    // connection took whole bursts in a few ms each, and 30 of them ended before any call had landed on the sick one).
    for (const until = Date.now() + 5000; Date.now() < until && !states.some((s) => s.connectionId === sick.id && s.state === 'open'); ) {
      await Promise.allSettled(Array.from({ length: 12 }, () => model.run(inputs, { timeoutMs: 300 })));
    }
    expect(states).toContainEqual({ connectionId: sick.id, browser: 'chromium', state: 'open' });
    const diverted = await Promise.all(Array.from({ length: 20 }, () => model.run(inputs)));
    expect(diverted.every((r) => r.connectionId === well.id)).toBe(true);
    // A probe made while the page is still stalled fails and opens the breaker again; the one after the stall closes it.
    await expect.poll(() => states.filter((s) => s.connectionId === sick.id).map((s) => s.state).slice(-2), { timeout: 25_000, interval: 200 }).toEqual(['halfOpen', 'closed']);
    const sequence = states.filter((s) => s.connectionId === sick.id).map((s) => s.state);
    expect(sequence[0]).toBe('open');
    expect(sequence.join(' ')).toMatch(/^open( halfOpen open)* halfOpen closed$/);
    expect(sick.breaker).toBe('closed');
    // A known-answer check the open breaker refused is not a failed one (it once quarantined and replaced the page).
    expect(quarantines).toEqual([]);
  });
});
