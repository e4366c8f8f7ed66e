import { describe, expect, it } from 'vitest';

import { seededRandom } from '../stats';
import { shiftInterval } from './intervals';
import { WAVE_F, waveF, waveStepSizes } from './wave-step';

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
}

/** n points of a sine wave (amplitude in noise sds, period in points) plus a step of `step` sds at `at`, noise sd 1. */
function waveWithStep(n: number, amplitude: number, period: number, phase: number, at: number, step: number, seed: number): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * i) / period + phase) + (i >= at ? step : 0) + gaussian(r));
}

describe('waveStepSizes', () => {
  it('sizes a step on a wave net of the wave, where the points either side misstate it', () => {
    let covered = 0;
    let hlCovered = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const ys = waveWithStep(200, 1.5, 160 + 3 * seed, seed, 90, 2, seed);
      const [size] = waveStepSizes(ys, [90]);
      covered += size!.low <= 2 && 2 <= size!.high ? 1 : 0;
      expect(size!.period).toBeGreaterThanOrEqual(0.65 * 200);
      expect(size!.period).toBeLessThanOrEqual(1.25 * 200);
      const hl = shiftInterval(Array.from(ys.subarray(30, 90)), Array.from(ys.subarray(90, 150)));
      hlCovered += hl.low <= 2 && 2 <= hl.high ? 1 : 0;
    }
    // 20 and 1 here.
    expect(covered).toBeGreaterThanOrEqual(19);
    // The 60 points either side (what findings.ts compares for other steps) include the wave's rise or fall.
    expect(hlCovered).toBeLessThanOrEqual(5);
  });

  it('sizes each of several steps on one wave', () => {
    const r = seededRandom(7);
    const ys = Float64Array.from({ length: 240 }, (_, i) => 1.5 * Math.sin((2 * Math.PI * i) / 220) + (i >= 60 ? 3 : 0) + (i >= 170 ? -2 : 0) + 0.3 * gaussian(r));
    const [up, down] = waveStepSizes(ys, [60, 170]);
    expect(up!.shift).toBeCloseTo(3, 0);
    expect(down!.shift).toBeCloseTo(-2, 0);
    expect(up!.low).toBeLessThan(3);
    expect(up!.high).toBeGreaterThan(3);
    expect(down!.low).toBeLessThan(-2);
    expect(down!.high).toBeGreaterThan(-2);
  });
});

describe('waveF', () => {
  it('lets through at most about 1 % of stretches of plain noise (none of 400 here) and every one that holds a wave of 1.5 noise sds', () => {
    let noise = 0;
    let waves = 0;
    for (let seed = 1; seed <= 400; seed++) {
      noise += waveF(waveWithStep(60, 0, 60, 0, 0, 0, seed)) > WAVE_F ? 1 : 0;
      waves += waveF(waveWithStep(60, 1.5, 48 + (seed % 25), seed, 0, 0, 1000 + seed)) > WAVE_F ? 1 : 0;
    }
    expect(noise).toBeLessThanOrEqual(8);
    expect(waves).toBe(400);
  });

  it('looks at what the steps between the cuts leave: a plain step is no wave', () => {
    const ys = waveWithStep(120, 0, 120, 0, 50, 4, 3);
    expect(waveF(ys)).toBeGreaterThan(WAVE_F);
    expect(waveF(ys, [50])).toBeLessThan(WAVE_F);
  });
});
