/**
 * Scale-out across real (simulated) hosts: two network namespaces joined by veth links, a Playwright browser server
 * in each, and a pool on this side using both. Faults are real: a link taken down mid-load and brought back, a
 * browser server SIGKILLed and restarted on the same address. Skipped, with the reason, where `ip netns` is not
 * permitted.
 */
import { ModelCatalogue, runReference } from '@browser-pool/models';
import { type InferenceResult, ResourcePool } from '@browser-pool/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { collect, FP32_TOLERANCE, worstDiff } from './helpers';
import { createHost, netnsUnavailable, runTag, type SimulatedHost, subnetBase } from './netns';

const why = await netnsUnavailable();
const catalogue = ModelCatalogue.default();
const entry = catalogue.get('vit-tiny');
const hosts: SimulatedHost[] = [];
let pool: ResourcePool;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) {
      throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    }
    await sleep(50);
  }
  return performance.now() - start;
}
const hostOf = (connectionId: string): string | undefined => pool.hosts().find((h) => h.connectionIds.includes(connectionId))?.id;

describe.skipIf(why !== undefined)(`scale-out over network namespaces${why === undefined ? '' : ` (skipped: ${why})`}`, () => {
  beforeAll(async () => {
    const tag = runTag();
    const base = subnetBase();
    try {
      hosts.push(await createHost(tag, 0, base), await createHost(tag, 1, base + 1));
      await Promise.all(hosts.map((h) => h.startServer()));
      pool = new ResourcePool({
        catalogue,
        hosts: hosts.map((h) => ({ wsEndpoint: h.wsEndpoint })),
        backends: ['wasm'],
        health: { knownAnswerIntervalMs: 0 },
        scaling: { maxConnections: 2 },
        reconnect: { initialDelayMs: 200, maxDelayMs: 1000 },
        // Pages reach back directly ('auto' with a non-loopback page server): the page server listens on every
        // address and is advertised at host B's end of its link (host A's namespace reaches it through its default
        // route; B's link is never cut). A cut link is noticed by the heartbeat: 6 missed pongs of 250 ms.
        harness: { host: '0.0.0.0', advertisedHost: hosts[1]!.hostIp, channel: { heartbeatIntervalMs: 250, maxMissedPongs: 6 } },
      });
      await pool.initialize();
    } catch (error) {
      await Promise.all(hosts.map((h) => h.remove()));
      throw error;
    }
  }, 60_000);
  afterAll(async () => {
    try {
      await pool?.close();
    } finally {
      await Promise.all(hosts.map((h) => h.remove()));
    }
  });

  it('serves through both hosts, every output equal to the reference', async () => {
    expect(pool.hosts().map((h) => [h.id, h.remote, h.connectionIds.length])).toEqual(hosts.map((h) => [h.wsEndpoint, true, 1]));
    const model = await pool.getModel('vision', 'vit-tiny');
    const inputs = entry.sampleInputs({ seed: 5 });
    const expected = await runReference(await entry.source(), inputs);
    const results = await Promise.all(Array.from({ length: 24 }, () => model.run(inputs)));
    for (const r of results) {
      expect(worstDiff(r.outputs, expected)).toBeLessThanOrEqual(FP32_TOLERANCE);
    }
    expect(new Set(results.map((r) => hostOf(r.connectionId)))).toEqual(new Set(hosts.map((h) => h.wsEndpoint)));
  }, 60_000);

  it('a link cut for 4 s mid-load: every request settles within its deadline, retried on the other host; the host serves again after the link returns', async () => {
    const [a] = hosts as [SimulatedHost, SimulatedHost];
    const model = await pool.getModel('vision', 'vit-tiny');
    const inputs = entry.sampleInputs({ seed: 6 });
    const expected = await runReference(await entry.source(), inputs);
    const retries = collect(pool, 'host:retry');
    const timeoutMs = 12_000;
    const settled: { ok: InferenceResult | undefined; code: string | undefined; ms: number }[] = [];
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const start = performance.now();
        try {
          settled.push({ ok: await model.run(inputs, { timeoutMs }), code: undefined, ms: performance.now() - start });
        } catch (error) {
          settled.push({ ok: undefined, code: (error as { code?: string }).code, ms: performance.now() - start });
        }
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, () => worker()));
    let backMs: number;
    const servedByA = (): boolean => settled.some((s, i) => i > cutAt && s.ok !== undefined && hostOf(s.ok.connectionId) === a.wsEndpoint);
    let cutAt = Infinity;
    try {
      await sleep(1000);
      await a.cut();
      await sleep(4000);
      await a.restore();
      cutAt = settled.length;
      backMs = await until('a request served by the restored host', servedByA, 20_000);
    } finally {
      stop = true;
      await load;
    }
    const ok = settled.filter((s) => s.ok !== undefined);
    expect(settled.every((s) => s.ms <= timeoutMs + 1000)).toBe(true);
    expect(ok.length / settled.length).toBeGreaterThanOrEqual(0.95);
    for (const s of ok) {
      expect(worstDiff(s.ok!.outputs, expected)).toBeLessThanOrEqual(FP32_TOLERANCE);
    }
    expect(ok.some((s) => s.ok!.attempts > 1)).toBe(true); // some ran after a retry elsewhere
    expect(retries.filter((r) => r.hostId === a.wsEndpoint).length).toBeGreaterThan(0); // reconnects failed while cut, and went on
    expect(backMs).toBeLessThan(15_000);
  }, 60_000);

  it('a browser server SIGKILLed and restarted on the same address is used again; a drained host leaves', async () => {
    const b = hosts[1]!;
    const down = collect(pool, 'connection:down');
    b.killServer();
    await until('the loss noticed', () => down.length > 0, 10_000);
    await sleep(500);
    await b.startServer();
    await until('a connection on the restarted server', () => (pool.hosts().find((h) => h.id === b.wsEndpoint)?.connectionIds.length ?? 0) > 0, 15_000);
    const model = await pool.getModel('vision', 'vit-tiny');
    const inputs = entry.sampleInputs({ seed: 7 });
    const expected = await runReference(await entry.source(), inputs);
    const results = await Promise.all(Array.from({ length: 12 }, () => model.run(inputs)));
    expect(results.some((r) => hostOf(r.connectionId) === b.wsEndpoint)).toBe(true);
    for (const r of results) {
      expect(worstDiff(r.outputs, expected)).toBeLessThanOrEqual(FP32_TOLERANCE);
    }
    // Drained at runtime: the host leaves once its connection has closed, and everything runs on the other one.
    const states = collect(pool, 'host:state');
    await pool.drainHost(b.wsEndpoint, 'test');
    expect(pool.hosts().map((h) => h.id)).toEqual([hosts[0]!.wsEndpoint]);
    expect(states.map((s) => s.state)).toEqual(['draining', 'removed']);
    const after = await Promise.all(Array.from({ length: 6 }, () => model.run(inputs)));
    expect(after.every((r) => hostOf(r.connectionId) === hosts[0]!.wsEndpoint)).toBe(true);
  }, 40_000);
});
