// The references the db bench prints next to our detector (bench/scan-bound.ts): each finds the one change it is
// told the shape of, where it is, and gives a change-free series of that shape no evidence.
import { describe, expect, it } from 'vitest';

import { hingeScan, segmentsScan, waveStepScan } from '../bench/scan-bound';

/** A sine wave with a little alternating noise (so that residual sums are not zero). */
const wave = (n: number, period: number, amplitude: number): Float64Array =>
  Float64Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * i) / period + 0.7) + (i % 2 === 0 ? 0.002 : -0.002));

describe('reference scans', () => {
  it('the wave-plus-step scan finds a step on top of a wave of the seasonal period range, and none in the wave alone', () => {
    const alone = wave(60, 63, 0.075);
    const stepped = alone.map((y, i) => y + (i >= 35 ? 0.1 : 0));
    const found = waveStepScan(stepped);
    expect(found.at).toBe(35);
    expect(found.up).toBe(true);
    expect(found.stat).toBeGreaterThan(1);
    // The wave alone leaves only the alternating noise, which no step explains much of.
    expect(waveStepScan(alone).stat).toBeLessThan(0.05);
    expect(waveStepScan(stepped.map((y) => -y)).up).toBe(false);
  });

  it('the hinge scan finds where a drift starts, and its direction', () => {
    const drift = Float64Array.from({ length: 40 }, (_, i) => 2 + 0.01 * Math.max(0, i - 12) + (i % 2 === 0 ? 0.001 : -0.001));
    const found = hingeScan(drift);
    expect(found.at).toBe(12);
    expect(found.up).toBe(true);
    expect(hingeScan(drift.map((y) => -y))).toMatchObject({ at: 12, up: false });
  });

  it('the k-change scan places a regression, its fix and a revert, each with its direction, and a flat series gives it nothing', () => {
    const noise = (i: number): number => (i % 2 === 0 ? 0.001 : -0.001) * (1 + (i % 5));
    const steps = Float64Array.from({ length: 60 }, (_, i) => (i >= 15 && i < 31 ? 0.1 : i >= 44 ? 0.1 : 0) + noise(i));
    const found = segmentsScan(steps, 3);
    expect(found.changes).toEqual([{ at: 15, up: true }, { at: 31, up: false }, { at: 44, up: true }]);
    expect(found.stat).toBeGreaterThan(3);
    expect(segmentsScan(Float64Array.from({ length: 60 }, (_, i) => noise(i)), 3).stat).toBeLessThan(0.5);
  });
});
