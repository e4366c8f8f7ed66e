import { describe, expect, it } from 'vitest';

import { detectRegressions, rankChangePointDetector } from './findings';
import { type SeriesPoint, severityOf, thresholdDetector } from './regression';
import { seededRandom } from './stats';

function noisy(n: number, level: (i: number) => number, cv: number, seed: number): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => level(i) * (1 + cv * (r() + r() + r() - 1.5) * 2));
}

const points = (values: number[], backendAt: (i: number) => string = () => 'webgpu'): SeriesPoint[] =>
  values.map((value, i) => ({ at: i, value, backend: backendAt(i), adapter: backendAt(i) === 'webgpu' ? 'ampere' : undefined, isRealHardware: true }));

describe('classic threshold rule', () => {
  it('compares the newest point with a baseline that excludes it, with the issue thresholds', () => {
    expect(thresholdDetector([10, 10, 10, 11.9], 'latency')).toEqual([]);
    const [d] = thresholdDetector([10, 10, 10, 12.5], 'latency');
    expect(d).toMatchObject({ index: 3, baseline: 10, severity: 'medium' });
    expect(thresholdDetector([10, 10, 10, 14], 'latency')[0]?.severity).toBe('high');
    expect(thresholdDetector([100, 100, 100, 80], 'throughput')[0]?.severity).toBe('medium');
    expect(thresholdDetector([100, 100, 100, 70], 'throughput')[0]?.severity).toBe('high');
    expect(severityOf('memory', 0.3)).toBe('medium');
    expect(severityOf('memory', 0.6)).toBe('high');
  });
});

describe('rank change-point detector', () => {
  it('finds known steps within 3 points, with their size', () => {
    for (const [step, at, seed] of [
      [0.2, 30, 1],
      [0.1, 25, 2],
      [0.3, 40, 3],
    ] as const) {
      const values = noisy(60, (i) => (i >= at ? 10 * (1 + step) : 10), 0.03, seed);
      const found = rankChangePointDetector(values, 'latency');
      expect(found).toHaveLength(1);
      expect(Math.abs(found[0]!.index - at)).toBeLessThanOrEqual(3);
      expect(found[0]!.changePct).toBeCloseTo(step, 1);
    }
  });

  it('raises no alarm on 200 pure-noise series (CV 2-10 %, with outliers)', () => {
    let alarms = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const cv = [0.02, 0.05, 0.1][seed % 3]!;
      const values = noisy(60, () => 10, cv, seed).map((v, i) => (i % 17 === 5 ? v * 2.5 : v));
      alarms += rankChangePointDetector(values, 'latency').length;
    }
    expect(alarms).toBe(0);
  });

  it('ignores an improvement when looking for regressions', () => {
    const values = noisy(60, (i) => (i >= 30 ? 7 : 10), 0.02, 9);
    expect(rankChangePointDetector(values, 'latency')).toEqual([]);
    expect(rankChangePointDetector(values, 'throughput')).toHaveLength(1);
  });
});

describe('fallback-aware detection', () => {
  it('reports a silent WASM fallback as a backend fallback, not a code regression', () => {
    const values = noisy(60, (i) => (i >= 30 ? 25 : 10), 0.03, 4);
    const found = detectRegressions(points(values, (i) => (i >= 30 ? 'wasm' : 'webgpu')), 'webgpu', 'latency', 'rank-changepoint');
    expect(found.map((d) => [d.kind, d.index])).toEqual([['backend_fallback', 30]]);
    const classic = detectRegressions(points(values, (i) => (i >= 30 ? 'wasm' : 'webgpu')), 'webgpu', 'latency', 'threshold');
    expect(classic.filter((d) => d.kind === 'regression')).toEqual([]);
  });

  it('still finds a real regression inside a stretch on one backend', () => {
    const values = noisy(80, (i) => (i >= 50 ? 13 : 10), 0.02, 5);
    const found = detectRegressions(points(values, (i) => (i >= 10 && i < 16 ? 'wasm' : 'webgpu')), 'webgpu', 'latency', 'rank-changepoint');
    expect(found.map((d) => d.kind)).toEqual(['backend_fallback', 'regression']);
    expect(Math.abs(found[1]!.index - 50)).toBeLessThanOrEqual(3);
  });
});
