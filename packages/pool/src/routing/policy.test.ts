import type { BrowserKind, Capabilities } from '@browser-pool/browser-harness';
import { describe, expect, it } from 'vitest';

import { WorkEstimate } from './estimates';
import { AffinityRoutingPolicy, COLD_START_QUEUE, type ConnectionView, type RoutingRequest } from './policy';

function view(id: string, browser: BrowserKind, over: Partial<ConnectionView> = {}): ConnectionView {
  return {
    id,
    browser,
    capabilities: {} as Capabilities,
    accepting: true,
    breaker: 'closed',
    outstanding: 0,
    capacity: 1,
    modelCount: 0,
    healthScore: 100,
    latencyMs: undefined,
    hasModel: () => false,
    ...over,
  };
}

const request = (over: Partial<RoutingRequest> = {}): RoutingRequest => ({
  modelType: 'audio',
  modelKey: 'm',
  preference: ['firefox', 'chromium', 'edge'],
  exclude: new Set(),
  unavailable: new Map(),
  ...over,
});

describe('AffinityRoutingPolicy', () => {
  const policy = new AffinityRoutingPolicy();

  it('routes to the preferred browser when it has a connection', () => {
    const d = policy.choose([view('c1', 'chromium'), view('f1', 'firefox')], request());
    expect(d?.connection.id).toBe('f1');
    expect(d?.fallbackReason).toBeUndefined();
  });

  it('falls back along the chain and says why', () => {
    const d = policy.choose([view('c1', 'chromium')], request({ unavailable: new Map([['firefox', 'not installed']]) }));
    expect(d?.connection.id).toBe('c1');
    expect(d?.fallbackReason).toBe('fell back past firefox: not installed');
  });

  it('skips open breakers, closed connections and excluded ones', () => {
    const candidates = [view('f1', 'firefox', { breaker: 'open' }), view('f2', 'firefox', { accepting: false }), view('f3', 'firefox'), view('c1', 'chromium')];
    expect(policy.choose(candidates, request())?.connection.id).toBe('f3');
    expect(policy.choose(candidates, request({ exclude: new Set(['f3']) }))?.connection.id).toBe('c1');
    expect(policy.choose([view('f1', 'firefox', { breaker: 'open' })], request())).toBeUndefined();
  });

  it('prefers the less loaded of two, and a warm page over a cold one', () => {
    const busy = view('a', 'firefox', { outstanding: 5 });
    const idle = view('b', 'firefox', { outstanding: 0 });
    expect(policy.choose([busy, idle], request())?.connection.id).toBe('b');
    const warm = view('w', 'firefox', { outstanding: 1, hasModel: () => true });
    const cold = view('k', 'firefox', { outstanding: 0 });
    expect(policy.choose([cold, warm], request())?.connection.id).toBe('w');
  });

  it('counts load per session thread: a page with 4 workers and 4 calls is as free as a one-thread page with 1', () => {
    const workers = view('w', 'firefox', { outstanding: 4, capacity: 4 });
    const single = view('s', 'firefox', { outstanding: 2 });
    expect(policy.choose([single, workers], request())?.connection.id).toBe('w');
    expect(policy.choose([view('s1', 'firefox', { outstanding: 0 }), workers], request())?.connection.id).toBe('s1');
  });

  it('multiplexes: a model stays on the connection holding it until that one is COLD_START_QUEUE calls per thread busier', () => {
    const warm = view('w', 'chromium', { outstanding: COLD_START_QUEUE - 1, hasModel: (k) => k === 'm' });
    const cold = view('k', 'chromium', { outstanding: 0 });
    expect(policy.choose([cold, warm], request({ preference: ['chromium'] }))?.connection.id).toBe('w');
    const busier = view('w', 'chromium', { outstanding: COLD_START_QUEUE, hasModel: (k) => k === 'm' });
    expect(policy.choose([cold, busier], request({ preference: ['chromium'] }))?.connection.id).toBe('k');
    // Per session thread: a warm page with 4 workers and 4 calls is not busy at all.
    const workers = view('w4', 'chromium', { outstanding: COLD_START_QUEUE, capacity: 4, hasModel: (k) => k === 'm' });
    expect(policy.choose([cold, workers], request({ preference: ['chromium'] }))?.connection.id).toBe('w4');
  });

  it('weighs queued work, not queued calls: 3 slow calls outweigh 5 fast ones', () => {
    const computeMs = new Map([['slow', 300], ['fast', 50]]);
    const slow = view('s', 'chromium', { outstanding: 3, callsByModel: new Map([['slow', 3]]), computeMs, hasModel: () => true });
    const fast = view('f', 'chromium', { outstanding: 5, callsByModel: new Map([['fast', 5]]), computeMs, hasModel: () => true });
    expect(policy.choose([slow, fast], request({ preference: ['chromium'], modelKey: 'fast' }))?.connection.id).toBe('f');
    // A cold connection is worth a load once the warm one would finish later by COLD_START_QUEUE of this model's calls.
    const cold = view('k', 'chromium', { computeMs: new Map([['fast', 50]]) });
    const warm = (calls: number) => view('w', 'chromium', { outstanding: calls, callsByModel: new Map([['fast', calls]]), computeMs: new Map([['fast', 50]]), hasModel: () => true });
    expect(policy.choose([cold, warm(COLD_START_QUEUE - 1)], request({ preference: ['chromium'], modelKey: 'fast' }))?.connection.id).toBe('w');
    expect(policy.choose([cold, warm(COLD_START_QUEUE)], request({ preference: ['chromium'], modelKey: 'fast' }))?.connection.id).toBe('k');
  });

  it('counts the same model\'s requests waiting in the pool\'s line ahead: a full warm connection gets a copy beside it once they are COLD_START_QUEUE calls', () => {
    const warm = view('w', 'chromium', { outstanding: 8, callsByModel: new Map([['m', 8]]), computeMs: new Map([['m', 10]]), hasModel: () => true });
    const unhealthy = view('k', 'chromium', { healthScore: 0, breaker: 'halfOpen' }); // 4.5 calls of penalties
    // 8 queued vs 0 + 4.5 calls of penalties: not yet worth a copy on its own...
    expect(policy.choose([warm, unhealthy], request({ preference: ['chromium'] }))?.connection.id).toBe('w');
    // ...but with 1 more waiting in line ahead it is.
    expect(policy.choose([warm, unhealthy], request({ preference: ['chromium'], waitingAhead: 1 }))?.connection.id).toBe('k');
  });

  it('a warm connection with a free slot wins over a full, healthier one once the line ahead outweighs its penalties (a link that recovered gets work again)', () => {
    const fast = view('b', 'chromium', { outstanding: 2, full: true, callsByModel: new Map([['m', 2]]), computeMs: new Map([['m', 10]]), hasModel: () => true });
    const recovering = view('a', 'chromium', { healthScore: 0, breaker: 'halfOpen', computeMs: new Map([['m', 10]]), hasModel: () => true }); // 4.5 calls of penalties
    // First in line: waiting for the fast one's slot (3 calls) beats 5.5 calls on the recovering one.
    expect(policy.choose([fast, recovering], request({ preference: ['chromium'] }))?.connection.id).toBe('b');
    // 6 ahead, spread over both connections' threads: 3 more calls on the full one; the free one takes it now.
    expect(policy.choose([fast, recovering], request({ preference: ['chromium'], waitingAhead: 6 }))?.connection.id).toBe('a');
    // Not full: the line is no cost of its own (this call goes in now).
    expect(policy.choose([{ ...fast, full: false }, recovering], request({ preference: ['chromium'], waitingAhead: 6 }))?.connection.id).toBe('b');
  });

  it('a model not yet run on a connection costs there what it costs elsewhere: a burst of a heavy and a light model leaves both connections equally busy', () => {
    // The bench's case: both hold both models, but b ran the heavy one only once (a first run, not recorded).
    const conns = ['a', 'b'].map((id) => {
      const calls = new Map<string, number>();
      return {
        ...view(id, 'chromium', { hasModel: () => true }),
        callsByModel: calls,
        computeMs: id === 'a' ? new Map([['heavy', 400], ['light', 15]]) : new Map([['light', 15]]),
        get outstanding() { return [...calls.values()].reduce((x, y) => x + y, 0); },
      };
    });
    for (let n = 0; n < 120; n++) {
      const modelKey = n % 2 === 0 ? 'light' : 'heavy';
      const d = policy.choose(conns, request({ preference: ['chromium'], modelKey }))!;
      const calls = (d.connection as (typeof conns)[number]).callsByModel;
      calls.set(modelKey, (calls.get(modelKey) ?? 0) + 1);
    }
    const work = conns.map((c) => 400 * (c.callsByModel.get('heavy') ?? 0) + 15 * (c.callsByModel.get('light') ?? 0));
    expect(Math.abs(work[0]! - work[1]!)).toBeLessThanOrEqual(400);
    expect(conns.map((c) => c.callsByModel.get('heavy'))).toEqual([30, 30]);
  });

  it('counts what is left of a load under way as work on that connection', () => {
    const loading = view('l', 'chromium', { modelCount: 1, loadMs: new Map([['big', 2000]]), loading: new Map([['big', 500]]) });
    const idle = view('i', 'chromium', { modelCount: 1 });
    expect(policy.choose([loading, idle], request({ preference: ['chromium'] }))?.connection.id).toBe('i');
    const estimate = new WorkEstimate([loading, idle]);
    expect(estimate.backlogMs(loading)).toBe(1500);
    // A load taking longer than expected is not counted below zero.
    expect(new WorkEstimate([view('x', 'chromium', { loadMs: new Map([['big', 2000]]), loading: new Map([['big', 5000]]) })]).backlogMs(view('x', 'chromium', { loading: new Map([['big', 5000]]) }))).toBe(0);
  });

  it('costs a call by what was seen here, else elsewhere, else the mean of all calls seen', () => {
    const a = view('a', 'chromium', { computeMs: new Map([['m', 100], ['n', 10]]) });
    const b = view('b', 'chromium', { computeMs: new Map([['m', 300]]) });
    const c = view('c', 'chromium', { callsByModel: new Map([['m', 2], ['new', 1]]) });
    const estimate = new WorkEstimate([a, b, c]);
    expect(estimate.callMs(a, 'm')).toBe(100);
    expect(estimate.callMs(c, 'm')).toBe(200); // mean of a and b
    expect(estimate.callMs(c, 'new')).toBe(105); // mean of the models' means (m 200, n 10)
    expect(estimate.backlogMs(c)).toBe(2 * 200 + 105);
    expect(estimate.finishMs(view('w', 'chromium', { capacity: 2, callsByModel: new Map([['m', 4]]) }), 'm')).toBe((4 * 200) / 2 + 200);
  });

  it('places a new model on the idle connection holding the fewest models', () => {
    const conns = [view('a', 'chromium', { modelCount: 2 }), view('b', 'chromium', { modelCount: 1 }), view('c', 'chromium', { modelCount: 1, outstanding: 1 })];
    expect(policy.choose(conns, request({ preference: ['chromium'] }))?.connection.id).toBe('b');
  });

  it('three models on four connections: each is placed once, not everywhere, while load is light', () => {
    const held = new Map<string, Set<string>>();
    const conns = Array.from({ length: 4 }, (_, i) => {
      const id = `c${i}`;
      held.set(id, new Set());
      return { ...view(id, 'chromium'), hasModel: (k: string) => held.get(id)!.has(k), get modelCount() { return held.get(id)!.size; } };
    });
    for (let n = 0; n < 30; n++) {
      const modelKey = `m${n % 3}`;
      const d = policy.choose(conns, request({ preference: ['chromium'], modelKey }))!;
      held.get(d.connection.id)!.add(modelKey);
    }
    expect([...held.values()].map((s) => s.size).sort()).toEqual([0, 1, 1, 1]);
  });

  it('spreads a burst across many connections evenly', () => {
    const conns = Array.from({ length: 4 }, (_, i) => ({ ...view(`c${i}`, 'chromium', { hasModel: () => true }), outstanding: 0 }));
    for (let n = 0; n < 400; n++) {
      const d = policy.choose(conns, request({ preference: ['chromium'] }));
      (d!.connection as { outstanding: number }).outstanding++;
    }
    expect(conns.map((c) => c.outstanding)).toEqual([100, 100, 100, 100]);
  });

  it('a connection costed high by one slow spell gets calls again once its estimate is stale (it fades to the others)', () => {
    const holds = { hasModel: (k: string) => k === 'm', modelCount: 1 };
    const busyFast = view('b', 'chromium', { ...holds, outstanding: 24, callsByModel: new Map([['m', 24]]), computeMs: new Map([['m', 0.2]]) });
    const slowSpell = (ageMs: number): ConnectionView =>
      view('a', 'chromium', { ...holds, computeMs: new Map([['m', 20]]), computeSampledAt: new Map([['m', performance.now() - ageMs]]) });
    const pick = (a: ConnectionView): string | undefined => new AffinityRoutingPolicy().choose([busyFast, a], request({ modelType: 'vision', preference: ['chromium'] }))?.connection.id;
    // Fresh, 20 ms a call loses to 24 calls of 0.2 ms queued: before, it stayed so, since no call came to correct it.
    expect(pick(slowSpell(0))).toBe('b');
    const tenSecondsOld = slowSpell(10_000);
    expect(new WorkEstimate([busyFast, tenSecondsOld], performance.now()).callMs(tenSecondsOld, 'm')).toBeCloseTo(10.1, 5);
    expect(pick(slowSpell(60_000))).toBe('a');
  });
});
