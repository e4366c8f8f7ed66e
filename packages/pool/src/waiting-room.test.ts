import { ErrorCode } from '@browser-pool/browser-harness';
import { describe, expect, it } from 'vitest';

import { WaitingRoom } from './waiting-room';

describe('WaitingRoom', () => {
  it('wakes waiters best first: higher priority, then earlier ticket (a re-queued request keeps its turn)', async () => {
    const room = new WaitingRoom();
    const order: string[] = [];
    const far = Date.now() + 10_000;
    const first = room.ticket();
    const second = room.ticket();
    const third = room.ticket();
    const waits = [
      room.wait(third, 'm', 0, far, undefined, 'c').then(() => order.push('third')),
      room.wait(second, 'm', 5, far, undefined, 'b').then(() => order.push('second (priority 5)')),
      room.wait(first, 'other', 0, far, undefined, 'a').then(() => order.push('first')),
    ];
    expect(room.size).toBe(3);
    // Ahead of a new request for "m": both waiters for "m"; ahead of the first ticket, only the priority-5 one.
    expect(room.ahead(room.ticket(), 'm', 0)).toBe(2);
    expect(room.ahead(first, 'm', 0)).toBe(1);
    expect(room.ahead(third, 'm', 0)).toBe(1);
    room.wakeAll();
    await Promise.all(waits);
    expect(order).toEqual(['second (priority 5)', 'first', 'third']);
    expect(room.size).toBe(0);
  });

  it('a waiter past its deadline fails with E_TIMEOUT, an aborted one with E_ABORTED; both leave the line', async () => {
    const room = new WaitingRoom();
    const late = room.wait(room.ticket(), 'm', 0, Date.now() + 20, undefined, '"m" (c1 busy)');
    await expect(late).rejects.toMatchObject({ code: ErrorCode.Timeout, message: expect.stringMatching(/"m" \(c1 busy\): .*never ran/) });
    const ac = new AbortController();
    const aborted = room.wait(room.ticket(), 'm', 0, Date.now() + 10_000, ac.signal, 'x');
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: ErrorCode.Aborted });
    expect(room.size).toBe(0);
    const already = room.wait(room.ticket(), 'm', 0, Date.now() + 10_000, ac.signal, 'x');
    await expect(already).rejects.toMatchObject({ code: ErrorCode.Aborted });
    expect(room.size).toBe(0);
  });
  it('leaves a blocked waiter in line, keeping its place and deadline, and wakes it once it is not blocked', async () => {
    const room = new WaitingRoom();
    let full = true;
    const order: string[] = [];
    const blockedTicket = room.ticket();
    const blocked = room.wait(blockedTicket, 'm', 0, Date.now() + 10_000, undefined, 'b', () => full).then(() => order.push('blocked'));
    const free = room.wait(room.ticket(), 'n', 0, Date.now() + 10_000, undefined, 'f').then(() => order.push('free'));
    room.wakeAll();
    await free;
    expect(order).toEqual(['free']);
    expect(room.size).toBe(1);
    expect(room.ahead(room.ticket(), 'm', 0)).toBe(1);
    full = false;
    room.wakeAll();
    await blocked;
    expect(order).toEqual(['free', 'blocked']);
    expect(room.size).toBe(0);
    // Still bound by its deadline while blocked.
    const late = room.wait(room.ticket(), 'm', 0, Date.now() + 20, undefined, '"m" (all full)', () => true);
    room.wakeAll();
    await expect(late).rejects.toMatchObject({ code: ErrorCode.Timeout });
    expect(room.size).toBe(0);
  });
});
