import { describe, expect, it } from 'vitest';

import { detectFindings } from '../findings';
import { seededRandom } from '../stats';
import { ditheredLogs } from './dither';

const gaussian = (random: () => number): number => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());

/** Latencies as a coarse timer reports them: mean + sd * noise (+ step from `stepAt` on), rounded to `quantum`. */
function quantized(n: number, mean: number, sd: number, quantum: number, seed: number, step = 0, stepAt = n): { at: number; value: number; backend: string; adapter: string; isRealHardware: boolean }[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => ({
    at: i * 3_600_000,
    value: Math.max(quantum, Math.round((mean + (i >= stepAt ? step : 0) + sd * gaussian(random)) / quantum) * quantum),
    backend: 'webgpu',
    adapter: 'ampere',
    isRealHardware: true,
  }));
}

const alarms = (points: ReturnType<typeof quantized>): number => detectFindings(points, 'webgpu', 'latency').filter((d) => d.kind === 'regression' || d.kind === 'drift').length;

describe('tied values (coarse timers)', () => {
  it('leaves values without a run of equal ones as their logs, and moves those with one within half the quantum, the same way every time', () => {
    expect(Array.from(ditheredLogs([2.5, 3.25, 1.75]))).toEqual([Math.log(2.5), Math.log(3.25), Math.log(1.75)]);
    // Tied only far apart: no run without spread, left alone.
    expect(Array.from(ditheredLogs([2, 3, 2, 3]))).toEqual([Math.log(2), Math.log(3), Math.log(2), Math.log(3)]);
    const tied = [2, 3, 2, 2, 3, 2];
    const ys = ditheredLogs(tied);
    ys.forEach((y, i) => {
      expect(Math.abs(Math.exp(y) - tied[i]!)).toBeLessThanOrEqual(0.5);
    });
    expect(new Set(ys).size).toBe(tied.length);
    expect(Array.from(ditheredLogs(tied))).toEqual(Array.from(ys));
  });

  it('alarms no more than 1 % of change-free series that a 0.1 ms timer rounds to two or three values (2-2.5 % before dither)', () => {
    for (const n of [60, 200]) {
      let alarmed = 0;
      for (let seed = 0; seed < 200; seed++) {
        alarmed += alarms(quantized(n, 2.43, 0.02, 0.1, 1000 * n + seed)) > 0 ? 1 : 0;
      }
      expect(alarmed, `${n} points`).toBeLessThanOrEqual(2);
    }
  });

  it('still finds a step that moves a 1 ms timer from mostly 2 ms to mostly 3 ms, at its place', () => {
    let found = 0;
    for (let seed = 0; seed < 50; seed++) {
      const f = detectFindings(quantized(200, 2.3, 0.2, 1, seed, 0.5, 100), 'webgpu', 'latency');
      found += f.some((d) => d.kind === 'regression' && Math.abs(d.index - 100) <= 10) ? 1 : 0;
    }
    expect(found).toBeGreaterThanOrEqual(45);
  });
});
