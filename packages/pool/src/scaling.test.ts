import { describe, expect, it } from 'vitest';

import { planScaling, type ScalingInput } from './scaling';

const options = { minConnections: 1, maxConnections: 3, scaleUpQueueDepth: 8, idleTimeoutMs: 60_000, cooldownMs: 5000, recycleAfterInferences: 0, recycleAboveMemoryMB: 0, intervalMs: 1000, spareConnections: 0 };
const conn = (id: string, over: Partial<ScalingInput['connections'][number]> = {}): ScalingInput['connections'][number] => ({
  id, browser: 'chromium', host: 'local-chromium', ready: true, outstanding: 0, lastActivityAt: 100_000, memoryBytes: undefined, ...over,
});
const input = (over: Partial<ScalingInput>): ScalingInput => ({ now: 100_000, lastDecisionAt: 0, options, admitted: 0, launching: 0, connections: [conn('a')], ...over });

describe('planScaling', () => {
  it('scales up when queue depth per ready connection passes the threshold', () => {
    expect(planScaling(input({ admitted: 20, connections: [conn('a', { outstanding: 20 })] }))).toMatchObject({ action: 'up', browser: 'chromium' });
    expect(planScaling(input({ admitted: 8 }))).toBeUndefined();
  });
  it('never exceeds maxConnections, counting launches in progress', () => {
    expect(planScaling(input({ admitted: 100, launching: 2 }))).toBeUndefined();
  });
  it('waits out the cooldown', () => {
    expect(planScaling(input({ admitted: 100, lastDecisionAt: 97_000 }))).toBeUndefined();
  });
  it('closes an idle connection above the minimum, never below it', () => {
    const two = [conn('a'), conn('b', { lastActivityAt: 10_000 })];
    expect(planScaling(input({ connections: two }))).toMatchObject({ action: 'down', connectionId: 'b' });
    expect(planScaling(input({ connections: [conn('b', { lastActivityAt: 10_000 })] }))).toBeUndefined();
  });
  it('never closes the last connection of a host, however idle (each host keeps one)', () => {
    const twoHosts = [conn('a', { host: 'ws://10.0.0.1:3000/b' }), conn('b', { host: 'ws://10.0.0.2:3000/b', lastActivityAt: 10_000 })];
    expect(planScaling(input({ connections: twoHosts }))).toBeUndefined();
    const third = conn('c', { host: 'ws://10.0.0.2:3000/b', lastActivityAt: 20_000 });
    expect(planScaling(input({ connections: [...twoHosts, third] }))).toMatchObject({ action: 'down', connectionId: 'b' });
  });
  it('recycles a connection whose page heap passed the limit, never one whose memory is unknown', () => {
    const o = { ...options, recycleAboveMemoryMB: 64 };
    const mb = 1024 * 1024;
    expect(planScaling(input({ options: o, connections: [conn('a', { memoryBytes: 80 * mb })] }))).toMatchObject({ action: 'recycle', connectionId: 'a', reason: 'page heap 80.0 MiB > 64 MiB' });
    expect(planScaling(input({ options: o, connections: [conn('a', { memoryBytes: 10 * mb }), conn('b')] }))).toBeUndefined();
  });
  it('never plans a count-based recycle (the connection enforces that cap itself as requests arrive)', () => {
    const o = { ...options, recycleAfterInferences: 10 };
    expect(planScaling(input({ options: o, connections: [conn('a')] }))).toBeUndefined();
  });
});
