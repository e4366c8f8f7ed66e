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

  it('recycles a connection after N inferences: replacement first, then drain, and no request fails', async () => {
    pool = new ResourcePool({
      catalogue,
      backends: ['wasm'],
      health: { knownAnswerIntervalMs: 0 },
      scaling: { minConnections: 1, maxConnections: 2, recycleAfterInferences: 50, cooldownMs: 0, intervalMs: 100 },
    });
    const decisions: PoolEvents['scaling'][0][] = [];
    const downs: PoolEvents['connection:down'][0][] = [];
    pool.on('scaling', (d) => decisions.push(d));
    pool.on('connection:down', (d) => downs.push(d));
    const model = await pool.getModel('vision', 'vit-tiny');
    const first = pool.connections[0]!.id;
    const results = [];
    for (let i = 0; i < 30; i++) {
      results.push(...(await Promise.all(Array.from({ length: 10 }, () => model.run(inputs)))));
      if (downs.some((d) => d.connectionId === first)) {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(decisions).toContainEqual(expect.objectContaining({ action: 'recycle', connectionId: first }));
    await expect.poll(() => downs.find((d) => d.connectionId === first), { timeout: 20_000 }).toMatchObject({ expected: true });
    expect(results.every((r) => r.outputs.logits !== undefined)).toBe(true);
    expect(pool.connections.map((c) => c.id)).not.toContain(first);
    expect(pool.connections.length).toBeGreaterThanOrEqual(1);
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
