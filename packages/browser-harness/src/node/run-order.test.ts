import { describe, expect, it } from 'vitest';

import { RunOrder } from './run-order';

describe('RunOrder', () => {
  it('says a run was overtaken only when a later run on the same session was answered', () => {
    const order = new RunOrder();
    const first = order.send('a');
    const second = order.send('a');
    const other = order.send('b');
    order.answer('b', other);
    expect(order.overtaken('a', first)).toBe(false);
    order.answer('a', second);
    expect(order.overtaken('a', first)).toBe(true);
    expect(order.overtaken('a', second)).toBe(false);
    // A released session starts again; answers for a session never sent on are ignored.
    order.forget('a');
    order.answer('c', 5);
    expect(order.overtaken('a', first)).toBe(false);
    expect(order.overtaken('c', 1)).toBe(false);
  });
});
