import { describe, expect, it } from 'vitest';

import { seededRandom } from '../stats';
import { sortedAt } from './order-stats';

describe('sortedAt', () => {
  it('equals a full sort at every asked position: random, tied, sorted, reversed and constant arrays of 0..3000 values', () => {
    const random = seededRandom(7);
    const makers: ((n: number) => number[])[] = [
      (n) => Array.from({ length: n }, () => random() * 2 - 1),
      (n) => Array.from({ length: n }, () => Math.floor(random() * 5) - 2),
      (n) => Array.from({ length: n }, (_, i) => i),
      (n) => Array.from({ length: n }, (_, i) => n - i),
      (n) => Array.from({ length: n }, () => 0.5),
      (n) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -Infinity : Infinity)),
    ];
    for (const n of [1, 2, 3, 15, 16, 17, 40, 199, 1600, 3000]) {
      for (const make of makers) {
        const values = make(n);
        const sorted = Float64Array.from(values).sort();
        const positions = [n - 1, 0, Math.floor((n - 1) / 2), Math.ceil((n - 1) / 2), Math.floor(n / 3), n - 1 - Math.floor(n / 3), Math.floor(n / 3)];
        expect(sortedAt(Float64Array.from(values), positions)).toEqual(positions.map((p) => sorted[p]));
      }
    }
  });

  it('orders NaN last and -0 before +0 as the sort does (it sorts such arrays)', () => {
    const got = sortedAt(Float64Array.from([NaN, 0, -0, 2, -1]), [4, 1, 2, 0]);
    expect(got[0]).toBeNaN();
    expect(Object.is(got[1], -0)).toBe(true);
    expect(Object.is(got[2], 0)).toBe(true);
    expect(got[3]).toBe(-1);
  });
});
