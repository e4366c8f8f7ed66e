import type { BrowserHarness } from '@browser-pool/browser-harness';
import { describe, expect, it } from 'vitest';

import { Fleet } from './fleet';
import { resolveHost } from './hosts';
import { resolvePoolOptions } from './options';

/** A harness whose launches stay pending until the test settles them (no browser needed). */
function pendingHarness(): { harness: BrowserHarness; launches: number; failAll: () => void } {
  const rejects: ((e: Error) => void)[] = [];
  const state = {
    launches: 0,
    harness: {
      launch: () =>
        new Promise((_resolve, reject) => {
          state.launches++;
          rejects.push(reject);
        }),
    } as unknown as BrowserHarness,
    failAll: () => rejects.splice(0).forEach((r) => r(new Error('test over'))),
  };
  return state;
}

describe('adding a host that is still draining', () => {
  it('cancels the drain: the host is active again, says so in host:state, and opens a fresh connection', async () => {
    const events: { state: string; reason: string }[] = [];
    const h = pendingHarness();
    const fleet = new Fleet(h.harness, resolvePoolOptions({ hosts: [] }), ((name: string, e: { state: string; reason: string }) => {
      if (name === 'host:state') {
        events.push({ state: e.state, reason: e.reason });
      }
    }) as never);
    const source = resolveHost({ wsEndpoint: 'ws://10.0.0.9:3000/pw' }, 'addHost');
    void fleet.addHost(source, 'first');
    // Its launch is still in flight, so the drain cannot finish: the host stays, draining.
    await fleet.drainHost(source.id, 'going');
    expect(fleet.hostList().map((x) => [x.id, x.state])).toEqual([[source.id, 'draining']]);
    void fleet.addHost(source, 'back');
    expect(fleet.hostList().map((x) => [x.id, x.state])).toEqual([[source.id, 'active']]);
    expect(events).toEqual([
      { state: 'added', reason: 'first' },
      { state: 'draining', reason: 'going' },
      { state: 'added', reason: 'back (drain cancelled)' },
    ]);
    expect(h.launches).toBe(2);
    // Adding it once more while active changes nothing.
    await Promise.race([fleet.addHost(source, 'again'), new Promise((r) => setTimeout(r, 20))]);
    expect(events).toHaveLength(3);
    expect(h.launches).toBe(2);
    h.failAll();
    await new Promise((r) => setTimeout(r, 0));
    await fleet.close();
  });
});
