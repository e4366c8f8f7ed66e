import { describe, expect, it } from 'vitest';

import { changeRange, type EnvironmentFinding, mergeAcrossEnvironments } from './code-change-merge';
import type { Detection } from './regression';

/** A step on one environment's points: compared `before` (series indices, last one before the change) and `after`. */
function step(key: string, kind: 'regression' | 'improvement', before: number[], after: number[], changePct = 0.3): EnvironmentFinding {
  const finding: Detection = {
    index: after[0]!,
    detector: 'rank-changepoint',
    kind,
    severity: 'medium',
    baseline: 10,
    current: 10 * (1 + changePct),
    changePct,
    pValue: 0.001,
    interval: [changePct - 0.02, changePct + 0.02],
    evidence: { before: [before[0]!, before.at(-1)! + 1], after: [after[0]!, after.at(-1)! + 1], points: { before, after } },
    detail: `step on ${key}`,
  };
  return { finding, key, environment: `webgpu on ${key}` };
}

const even = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i).filter((i) => i % 2 === 0);
const odd = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i).filter((i) => i % 2 === 1);

describe('mergeAcrossEnvironments', () => {
  it('makes one finding of a step two hosts show with overlapping ranges, placed where both agree, sized on the host that compared more', () => {
    // Host a (even points) places the change in (78, 80], host b (odd points) in (79, 81]: together (79, 80].
    const a = step('a', 'regression', even(40, 80), even(80, 110), 0.31);
    const b = step('b', 'regression', odd(50, 80), odd(80, 100), 0.28);
    const [merged, ...rest] = mergeAcrossEnvironments([b, a]);
    expect(rest).toEqual([]);
    expect(merged!.index).toBe(80);
    expect(merged!.changeAfter).toBe(79);
    expect(changeRange(merged!)).toEqual({ after: 79, upTo: 80 });
    expect(merged!.changePct).toBe(0.31);
    expect(merged!.evidence).toEqual(a.finding.evidence);
    expect(merged!.detail).toBe('step on a; the same change is +28.0 % (95 % interval +26.0 % to +30.0 %) on webgpu on b (their points bracket it too): together they place it after point 79 and at or before point 80');
  });

  it('keeps apart what cannot be one change: ranges that do not overlap, opposite kinds, two steps on one host', () => {
    // A GPU-specific regression on host b twenty points later: its range (99, 101] does not hold host a's change.
    const later = mergeAcrossEnvironments([step('a', 'regression', even(40, 80), even(80, 110)), step('b', 'regression', odd(50, 100), odd(100, 120))]);
    expect(later.map((d) => [d.index, d.changeAfter])).toEqual([[80, undefined], [101, undefined]]);
    const opposite = mergeAcrossEnvironments([step('a', 'regression', even(40, 80), even(80, 110)), step('b', 'improvement', odd(50, 80), odd(80, 100), -0.2)]);
    expect(opposite.map((d) => d.kind).sort()).toEqual(['improvement', 'regression']);
    // One host's own regression and a later one of its own are two changes, however its ranges fall.
    const own = mergeAcrossEnvironments([step('a', 'regression', [10, 20], [30, 40]), step('a', 'regression', [21, 22], [25, 26])]);
    expect(own).toHaveLength(2);
  });

  it('narrows one change across three hosts and leaves drifts and environment findings as they are', () => {
    const third = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i).filter((i) => i % 3 === 0);
    const drift: Detection = { ...step('a', 'regression', [0], [1]).finding, kind: 'drift', index: 5, endIndex: 60 };
    const fallback: Detection = { ...drift, kind: 'backend_fallback', detector: 'environment', index: 30, endIndex: 40 };
    const out = mergeAcrossEnvironments([
      { finding: drift, key: 'a', environment: 'webgpu on a' },
      { finding: fallback, key: 'wasm', environment: 'wasm' },
      step('a', 'regression', even(40, 80), even(80, 110)), // (78, 80]
      step('b', 'regression', odd(40, 80), odd(80, 110)), // (79, 81]
      step('c', 'regression', third(40, 80), third(80, 110)), // (78, 81]
    ]);
    expect(out.map((d) => d.kind)).toEqual(['drift', 'backend_fallback', 'regression']);
    expect(changeRange(out[2]!)).toEqual({ after: 79, upTo: 80 });
    expect(out[2]!.detail).toContain('on webgpu on b, ');
    expect(out[2]!.detail).toContain('on webgpu on c (their points');
  });
});
