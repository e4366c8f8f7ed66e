import { ErrorCode } from '@browser-pool/browser-harness';
import { describe, expect, it } from 'vitest';

import { chooseEvictions, type EvictionCandidate, Evictor } from './eviction';
import { resolvePoolOptions } from './options';
import type { PoolConnection } from './pool-connection';

const MB = 1024 * 1024;
const copy = (key: string, over: Partial<EvictionCandidate> = {}): EvictionCandidate => ({
  key,
  name: key,
  bytes: 100 * MB,
  lastUsedAt: 0,
  busy: false,
  elsewhere: 0,
  ...over,
});

describe('chooseEvictions', () => {
  it('releases nothing within the budget, or with no budget', () => {
    expect(chooseEvictions([copy('a'), copy('b')], 200 * MB)).toEqual([]);
    expect(chooseEvictions([copy('a'), copy('b')], 0)).toEqual([]);
  });

  it('releases copies held elsewhere first (least recently used first), then the only copies (idle longest first), until the rest fits', () => {
    const held = [
      copy('only-old', { lastUsedAt: 1 }),
      copy('shared-new', { lastUsedAt: 50, elsewhere: 1 }),
      copy('shared-old', { lastUsedAt: 10, elsewhere: 2 }),
      copy('only-new', { lastUsedAt: 60 }),
    ];
    expect(chooseEvictions(held, 300 * MB).map((h) => h.key)).toEqual(['shared-old']);
    expect(chooseEvictions(held, 200 * MB).map((h) => h.key)).toEqual(['shared-old', 'shared-new']);
    expect(chooseEvictions(held, 100 * MB).map((h) => h.key)).toEqual(['shared-old', 'shared-new', 'only-old']);
  });

  it('never releases a busy copy (calls queued, running or loading), even if that leaves the connection over budget', () => {
    const held = [copy('busy', { busy: true, lastUsedAt: 0, elsewhere: 3 }), copy('idle', { lastUsedAt: 9 }), copy('new', { busy: true, bytes: 300 * MB })];
    expect(chooseEvictions(held, 200 * MB).map((h) => h.key)).toEqual(['idle']);
  });

  it('a big copy frees enough at once: no more is released than needed', () => {
    const held = [copy('big', { bytes: 400 * MB, lastUsedAt: 1 }), copy('small', { bytes: 10 * MB, lastUsedAt: 2 }), copy('new', { busy: true })];
    expect(chooseEvictions(held, 200 * MB).map((h) => h.key)).toEqual(['big']);
  });
});

describe('Evictor', () => {
  /** Just what the evictor reads and calls on a connection. */
  function fakeConnection(id: string, copies: Omit<EvictionCandidate, 'elsewhere'>[]) {
    const held = new Map(copies.map((c) => [c.key, c]));
    const released: string[] = [];
    const pc = {
      id,
      browser: 'chromium',
      accepting: true,
      evictions: 0,
      get heldBytes() {
        return [...held.values()].reduce((n, c) => n + c.bytes, 0);
      },
      heldCopies: () => [...held.values()],
      hasModel: (key: string) => held.has(key),
      releaseModel: (key: string) => {
        held.delete(key);
        released.push(key);
        return Promise.resolve();
      },
    };
    return { pc: pc as unknown as PoolConnection, released };
  }

  it('releases a copy held elsewhere before an older only copy, emits model:evicted, counts it', () => {
    const now = performance.now();
    const a = fakeConnection('a', [
      { key: 'x', name: 'x', bytes: 300 * MB, lastUsedAt: now - 5000, busy: false },
      { key: 'y', name: 'y', bytes: 300 * MB, lastUsedAt: now - 100, busy: false },
      { key: 'z', name: 'z', bytes: 300 * MB, lastUsedAt: now, busy: true },
    ]);
    const b = fakeConnection('b', [{ key: 'y', name: 'y', bytes: 300 * MB, lastUsedAt: now, busy: false }]);
    const events: { name: string; e: Record<string, unknown> }[] = [];
    const evictor = new Evictor(700 * MB, () => [a.pc, b.pc], ((name: string, e: Record<string, unknown>) => events.push({ name, e })));
    evictor.check(a.pc);
    expect(a.released).toEqual(['y']);
    expect(b.released).toEqual([]);
    expect(evictor.evictions).toBe(1);
    expect(a.pc.evictions).toBe(1);
    expect(events).toEqual([
      {
        name: 'model:evicted',
        e: expect.objectContaining({ model: 'y', connectionId: 'a', bytes: 300 * MB, heldBytes: 900 * MB, budgetBytes: 700 * MB, copiesElsewhere: 1 }),
      },
    ]);
    expect(events[0]!.e.reason).toMatch(/over modelBudgetMB 700\.0 MiB: released y .*also held by 1 other connection/);
    // Within the budget now: nothing more.
    evictor.check(a.pc);
    expect(evictor.evictions).toBe(1);
  });

  it('does nothing without a budget', () => {
    const a = fakeConnection('a', [{ key: 'x', name: 'x', bytes: 5000 * MB, lastUsedAt: 0, busy: false }]);
    const evictor = new Evictor(0, () => [a.pc], (() => undefined));
    evictor.check(a.pc);
    expect(a.released).toEqual([]);
  });
});

describe('modelBudgetMB', () => {
  it('defaults to 1024 MiB, takes 0 (no limit), refuses anything but a whole number >= 0 with E_INVALID_OPTIONS', () => {
    expect(resolvePoolOptions({}).modelBudgetMB).toBe(1024);
    expect(resolvePoolOptions({ modelBudgetMB: 0 }).modelBudgetMB).toBe(0);
    for (const bad of [-1, 1.5, '512', Number.NaN]) {
      expect(() => resolvePoolOptions({ modelBudgetMB: bad as number })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidOptions, message: expect.stringMatching(/modelBudgetMB must be an integer >= 0/) }));
    }
  });
});
