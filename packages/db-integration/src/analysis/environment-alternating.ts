/**
 * A series that alternates between environments as one finding. Two hosts with different GPUs (or browser versions)
 * feeding one series switch environment every few points; one `adapter_change` per switch buried the report (65
 * findings in 120 points of two hosts in random order). A change to an environment the series already ran in is a
 * return, not a new change: it joins the finding that last brought a new environment in, which then spans the whole
 * alternating window and is sized on all its points of the new environment against all of the one it left.
 * Fallbacks are left to environment-intermittent.ts.
 */
import { relativeChange, thin } from './detect/intervals';
import type { DescribeEnvironment } from './environment-intermittent';
import { type Detection, type Metric, type SeriesPoint, severityOf } from './regression';

/** The stretch each finding starts (by its index) and the key of every stretch (`stretchKeys`). */
interface Stretches {
  ranges: readonly [number, number][];
  keys: readonly string[];
}

/** Indices of the points in [from, to) whose stretch has `key`. */
function pointsOf({ ranges, keys }: Stretches, key: string, from: number, to: number): number[] {
  const out: number[] = [];
  ranges.forEach(([s, e], k) => {
    if (keys[k] === key) {
      for (let i = Math.max(s, from); i < Math.min(e, to); i++) {
        out.push(i);
      }
    }
  });
  return out;
}

function merged(first: Detection, returns: number, end: number, points: readonly SeriesPoint[], stretches: Stretches, metric: Metric, describe: DescribeEnvironment): Detection {
  const k = stretches.ranges.findIndex(([s]) => s === first.index);
  const from = stretches.ranges[k - 1]![0];
  const here = pointsOf(stretches, stretches.keys[k]!, first.index, end);
  const there = pointsOf(stretches, stretches.keys[k - 1]!, from, end);
  const values = (idx: readonly number[]): number[] => thin(0, idx.length, 60).map((j) => points[idx[j]!]!.value);
  const { baseline, current, change, interval } = relativeChange(values(there), values(here));
  const names = [...new Set(stretches.ranges.filter(([s, e]) => s >= from && e <= end).map(([s]) => describe(points[s]!)))];
  return {
    ...first,
    endIndex: end,
    severity: Number.isFinite(change) ? severityOf(metric, change) : 'low',
    baseline,
    current,
    changePct: change,
    interval,
    evidence: { before: [from, end], after: [first.index, end], points: { before: there, after: here } },
    detail:
      `points ${first.index}-${end - 1} alternate between ${names.join(', ')} (${returns + 1} switches; ${here.length} points on ${describe(points[first.index]!)} ` +
      `against ${there.length} on ${describe(points[from]!)}): several environments feed this series, an environment change, not a code regression`,
  };
}

/** `found` (environment findings in index order) with returns to an environment merged into the finding that last brought one in. */
export function mergeReturns(found: readonly Detection[], points: readonly SeriesPoint[], stretches: Stretches, metric: Metric, describe: DescribeEnvironment): Detection[] {
  const startOf = new Map(stretches.ranges.map(([s], k) => [s, k]));
  const seen = new Set([stretches.keys[0]]);
  const out: { first: Detection; returns: number; end: number }[] = [];
  let open: (typeof out)[number] | undefined;
  for (const d of found) {
    const k = startOf.get(d.index)!;
    const key = stretches.keys[k]!;
    if (d.kind === 'backend_fallback' || !seen.has(key) || open === undefined) {
      seen.add(key);
      const entry = { first: d, returns: 0, end: d.endIndex ?? stretches.ranges[k]![1] };
      out.push(entry);
      open = d.kind === 'backend_fallback' ? open : entry;
      continue;
    }
    open.returns++;
    open.end = stretches.ranges[k]![1];
  }
  return out.map((e) => (e.returns === 0 ? e.first : merged(e.first, e.returns, e.end, points, stretches, metric, describe))).sort((a, b) => a.index - b.index);
}
