import { describe, expect, it } from 'vitest';

import { boxCritical, CALIBRATED_BOX_BELOW } from './boxes';
import { simulateBoxCritical, simulateCritical, simulateSeriesFactor, simulateWaveStepCritical } from './critical-sim';
import { criticalValues, SERIES_LEVEL_BELOW, seriesFactor } from './critical-values';
import { waveStepCritical } from './wave-step';

describe('critical values of the change-point search', () => {
  it('match a fresh simulation of the null (another seed, fewer draws) within simulation noise', () => {
    for (const n of [20, 60]) {
      const fresh = simulateCritical(n, 0.002, 6000, 99);
      const table = criticalValues(n);
      expect(Math.abs(fresh.rank - table.rank)).toBeLessThan(0.35);
      expect(Math.abs(fresh.t - table.t)).toBeLessThan(0.5);
    }
  });

  it('grow with length for ranks and are infinite where ranks cannot reach 0.2 % (n <= 14)', () => {
    expect(criticalValues(200).rank).toBeGreaterThan(criticalValues(20).rank);
    expect(criticalValues(10).rank).toBe(Infinity);
    expect(criticalValues(15).rank).toBeLessThan(Math.sqrt((3 * 7 * 8) / 16));
    expect(criticalValues(5000).t).toBeGreaterThan(criticalValues(1000).t);
  });

  it('scale the rank cut-offs of a short whole series to its 1 % budget (a fresh simulation agrees), not from 40 points on', () => {
    const fresh = simulateSeriesFactor(20, 0.0075, 20000, 4242);
    expect(Math.abs(fresh - seriesFactor(20))).toBeLessThan(0.03);
    expect(seriesFactor(20)).toBeLessThan(1);
    expect(seriesFactor(40)).toBe(1);
  });

  it('of the calibrated box match a fresh simulation (another seed, fewer draws), and it runs only where a series spends its budget', () => {
    const fresh = simulateBoxCritical(20, 0.002, 20000, 99);
    expect(Math.abs(fresh - boxCritical(20))).toBeLessThan(0.3);
    expect(CALIBRATED_BOX_BELOW).toBe(SERIES_LEVEL_BELOW);
  });

  it('of the wave-plus-step test match a fresh simulation of a wave without a step (another seed, fewer draws)', () => {
    const fresh = simulateWaveStepCritical(60, 0.002, 2000, 3, 4321);
    expect(Math.abs(fresh - waveStepCritical(60))).toBeLessThan(0.45);
    expect(waveStepCritical(80)).toBe(Math.max(waveStepCritical(60), waveStepCritical(100)));
  });
});
