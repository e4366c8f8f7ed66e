import { describe, expect, it } from 'vitest';

import { cusumDetector, peltChangePoints, peltDetector } from './baselines';
import { seededRandom } from './stats';

function noisy(n: number, level: (i: number) => number, cv: number, seed: number): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => level(i) * Math.exp(cv * Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r())));
}

describe('PELT (Killick et al. 2012)', () => {
  it('segments a noiseless staircase exactly (the penalty only has to beat zero cost)', () => {
    const ys = [...Array<number>(10).fill(0), ...Array<number>(10).fill(1), ...Array<number>(10).fill(3)];
    expect(peltChangePoints(ys, 0.1, 3 * Math.log(30))).toEqual([10, 20]);
  });

  it('finds a 20 % step within a point and calls its direction', () => {
    const found = peltDetector(noisy(100, (i) => (i >= 60 ? 12 : 10), 0.03, 3), 'latency');
    expect(found).toHaveLength(1);
    expect(Math.abs(found[0]!.index - 60)).toBeLessThanOrEqual(1);
    expect(found[0]!).toMatchObject({ kind: 'regression', detector: 'pelt' });
    expect(found[0]!.changePct).toBeCloseTo(0.2, 1);
  });
});

describe('CUSUM (Page 1954)', () => {
  it('alarms on a 20 % step and dates it near the change; stays quiet on 60 noise points', () => {
    const found = cusumDetector(noisy(100, (i) => (i >= 50 ? 12 : 10), 0.03, 4), 'latency');
    // The change-time estimate (the last time the statistic was zero) can reach back into noise before the step.
    expect(found.map((d) => [d.kind, d.index])).toEqual([['regression', 40]]);
    expect(cusumDetector(noisy(60, () => 10, 0.03, 5), 'latency')).toEqual([]);
  });
});
