import { describe, expect, it } from 'vitest';

import { ewma, type HealthInputs,healthScore } from './health';

const healthy: HealthInputs = { consecutiveFailures: 0, errorRate: 0, pingMs: 2, knownAnswerOk: true, drops: 0, breakerOpen: false };

describe('healthScore', () => {
  it('is 100 for a clean connection', () => {
    expect(healthScore(healthy)).toBe(100);
  });
  it('drops with consecutive failures, saturating at three', () => {
    expect(healthScore({ ...healthy, consecutiveFailures: 1 })).toBe(87);
    expect(healthScore({ ...healthy, consecutiveFailures: 3 })).toBe(60);
    expect(healthScore({ ...healthy, consecutiveFailures: 30 })).toBe(60);
  });
  it('penalises a wrong known answer, error rate, slow pings and drops', () => {
    expect(healthScore({ ...healthy, knownAnswerOk: false })).toBe(70);
    expect(healthScore({ ...healthy, errorRate: 0.5 })).toBe(90);
    expect(healthScore({ ...healthy, pingMs: 100 })).toBe(85);
    expect(healthScore({ ...healthy, drops: 10 })).toBe(85);
    expect(healthScore({ ...healthy, memoryPressure: 0.5 })).toBe(100);
    expect(healthScore({ ...healthy, memoryPressure: 0.9 })).toBe(95);
    expect(healthScore({ ...healthy, memoryPressure: 2 })).toBe(90);
  });
  it('caps an open breaker at 10 and never goes below 0', () => {
    expect(healthScore({ ...healthy, breakerOpen: true })).toBe(10);
    expect(healthScore({ consecutiveFailures: 9, errorRate: 1, pingMs: 500, knownAnswerOk: false, drops: 9, breakerOpen: true })).toBe(0);
  });
});

describe('ewma', () => {
  it('starts at the first sample and moves a fifth of the way to each new one', () => {
    expect(ewma(undefined, 10)).toBe(10);
    expect(ewma(10, 20)).toBe(12);
  });
});
