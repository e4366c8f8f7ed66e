/**
 * Scaling and recycling in real Chromium: load adds a connection, idleness removes it, and a connection that served
 * its quota is replaced after draining, with no request lost.
 */
import { ModelCatalogue } from '@browser-pool/models';
import { type PoolEvents, ResourcePool } from '@browser-pool/pool';
import { afterEach, describe, expect, it } from 'vitest';

const catalogue = ModelCatalogue.default();
const inputs = catalogue.get('vit-tiny').sampleInputs();
let pool: ResourcePool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('scaling and recycling', () => {
  it('scales up under queue depth and back down when idle', async () => {
    pool = new ResourcePool({
      catalogue,
      backends: ['wasm'],
      connectionConcurrency: 1,
      health: { knownAnswerIntervalMs: 0 },
      scaling: { minConnections: 1, maxConnections: 2, scaleUpQueueDepth: 4, cooldownMs: 0, idleTimeoutMs: 1500, intervalMs: 100 },
    });
    const decisions: PoolEvents['scaling'][0][] = [];
    pool.on('scaling', (d) => decisions.push(d));
    const model = await pool.getModel('vision', 'vit-tiny');
    // Keep the queue deep until the second connection is up and has served some of it.
    const deadline = Date.now() + 30_000;
    while (pool.connections.length < 2 && Date.now() < deadline) {
      await Promise.all(Array.from({ length: 40 }, () => model.run(inputs)));
    }
    expect(decisions[0]).toMatchObject({ action: 'up', browser: 'chromium', reason: expect.stringMatching(/queue depth/) });
    expect(pool.connections).toHaveLength(2);
    await expect.poll(() => pool!.connections.length, { timeout: 15_000 }).toBe(1);
    expect(decisions.some((d) => d.action === 'down' && /idle/.test(d.reason))).toBe(true);
  });

  it('recycleAfterInferences is a cap: 100 inferences at full speed with N = 20 give 5 recycles, all succeed, never more than the maximum', async () => {
    pool = new ResourcePool({
      catalogue,
      backends: ['wasm'],
      health: { knownAnswerIntervalMs: 0 },
      scaling: { minConnections: 1, maxConnections: 2, recycleAfterInferences: 20, cooldownMs: 0, intervalMs: 10 },
    });
    const recycles: PoolEvents['scaling'][0][] = [];
    let live = 0;
    let most = 0;
    pool.on('connection:up', () => (most = Math.max(most, ++live)));
    pool.on('connection:down', () => live--);
    pool.on('scaling', (d) => d.action === 'recycle' && recycles.push(d));
    const model = await pool.getModel('vision', 'vit-tiny'); // the initial connection is up before the listener
    live = 1;
    const served = new Map<string, number>();
    const results = await Promise.all(Array.from({ length: 100 }, () => model.run(inputs, { timeoutMs: 120_000 })));
    for (const r of results) {
      served.set(r.connectionId, (served.get(r.connectionId) ?? 0) + 1);
    }
    expect(results.every((r) => r.outputs.logits?.dims.join() === '1,10')).toBe(true);
    expect(recycles.length).toBeGreaterThanOrEqual(4);
    expect(recycles.length).toBeLessThanOrEqual(6);
    expect(new Set(recycles.map((r) => r.connectionId)).size).toBe(recycles.length); // one recycle per connection
    expect([...served.values()].every((n) => n <= 20)).toBe(true);
    expect(most).toBeLessThanOrEqual(2);
  });
});

describe('memory', () => {
  it('samples page heap in Chromium and recycles a connection whose heap passes the limit', async () => {
    pool = new ResourcePool({
      catalogue,
      backends: ['wasm'],
      health: { knownAnswerIntervalMs: 300 },
      scaling: { minConnections: 1, maxConnections: 2, recycleAboveMemoryMB: 1, cooldownMs: 60_000, intervalMs: 100 },
    });
    const decisions: PoolEvents['scaling'][0][] = [];
    pool.on('scaling', (d) => decisions.push(d));
    await pool.initialize();
    const first = pool.connections[0]!.id;
    await expect.poll(() => decisions.length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(decisions[0]).toMatchObject({ action: 'recycle', connectionId: first, reason: expect.stringMatching(/page heap \d+\.\d MiB > 1 MiB/) });
    await expect.poll(() => pool!.connections.map((c) => c.id), { timeout: 20_000 }).not.toContain(first);
  });
});
