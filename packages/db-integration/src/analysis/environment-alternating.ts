/**
 * A series that alternates between environments as one finding. Two hosts with different GPUs (or browser versions)
 * feeding one series switch environment every few points; one `adapter_change` per switch buried the report (34
 * findings in 120 points of two hosts in random order). A change to an environment the series already ran in is a
 * return, not a new change: it joins the finding that last brought a new environment in, which then spans the whole
 * alternating window and is sized on all its points of the new environment against all of the one it left.
 * Environments too short-lived to be one of their own (fewer than SHORT_LIVED points in the series: a browser version
 * that changes with every nightly run) share one key (environment.ts `stretchKeys`), so their changes are one
 * finding too, without a size. Fallbacks are left to environment-intermittent.ts.
 */
import { thin } from './detect/intervals';
import { type DescribeEnvironment, widened } from './environment-intermittent';
import type { Detection, Metric, SeriesPoint } from './regression';

/** Fewest points an environment needs in a series to be one of its own: two of the change search's smallest segment. */
export const SHORT_LIVED = 6;

/** The key the stretches of environments with fewer than SHORT_LIVED points share (per backend and hardware kind). */
export const shortLivedKey = (p: SeriesPoint): string => `${p.backend}|${p.isRealHardware}|short-lived`;

/** Whether a stretch key stands for environments that each held fewer than SHORT_LIVED points. */
export const isShortLived = (key: string): boolean => key.endsWith('|short-lived');

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

/** An environment as a detail names it: backend, adapter and, where recorded, browser version. */
const nameOf = (describe: DescribeEnvironment, p: SeriesPoint): string => `${describe(p)}${p.browserVersion === undefined ? '' : `, browser ${p.browserVersion}`}`;

/** The environments named in a detail: all of them up to 4, else the first 3 and how many more. */
const listed = (names: readonly string[]): string => (names.length <= 4 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`);

function merged(first: Detection, returns: number, end: number, points: readonly SeriesPoint[], stretches: Stretches, codeChanges: readonly number[], metric: Metric, describe: DescribeEnvironment): Detection {
  const k = stretches.ranges.findIndex(([s]) => s === first.index);
  const from = stretches.ranges[k - 1]![0];
  if (stretches.keys[k] === stretches.keys[k - 1]) {
    // Short-lived environments (stretchKeys): no one of them to size against another.
    const each = [...new Set(stretches.ranges.filter(([s, e]) => s >= from && e <= end).map(([s]) => nameOf(describe, points[s]!)))];
    return {
      ...first,
      index: from,
      endIndex: end,
      severity: 'low',
      baseline: NaN,
      current: NaN,
      changePct: NaN,
      interval: undefined,
      evidence: undefined,
      detail:
        `points ${from}-${end - 1}: the environment changed ${returns + 1} times among ${each.length} adapters or browser versions (${listed(each)}), none held for ` +
        `${SHORT_LIVED} points: too short-lived to size or to search on their own; code changes are searched across them, and a change found there may be theirs`,
    };
  }
  const names = [...new Set(stretches.ranges.filter(([s, e]) => s >= from && e <= end).map(([s]) => nameOf(describe, points[s]!)))];
  // A side is one environment, or the short-lived ones together.
  const side = (key: string, idx: readonly number[]): string =>
    isShortLived(key) ? `${new Set(idx.map((i) => nameOf(describe, points[i]!))).size} short-lived environments` : nameOf(describe, points[idx[0]!]!);
  // Sized up to the first code change in the window (environment.ts clips a single change's sides the same way).
  const sizeEnd = Math.min(end, ...codeChanges.filter((c) => c > first.index));
  const here = pointsOf(stretches, stretches.keys[k]!, first.index, sizeEnd);
  const there = pointsOf(stretches, stretches.keys[k - 1]!, from, sizeEnd);
  const values = (idx: readonly number[]): number[] => thin(0, idx.length, 60).map((j) => points[idx[j]!]!.value);
  return widened(
    first,
    end,
    { there: values(there), here: values(here) },
    metric,
    { before: [from, end], after: [first.index, end], points: { before: there, after: here } },
    `points ${first.index}-${end - 1} switch between ${listed(names)} ${returns + 1} times (sized on ${here.length} points on ${side(stretches.keys[k]!, here)} ` +
      `against ${there.length} on ${side(stretches.keys[k - 1]!, there)}${sizeEnd < end ? `, up to the code change at point ${sizeEnd}` : ''}): ` +
      'several environments feed this series, an environment change, not a code regression',
  );
}

/**
 * `found` (environment findings in index order) with returns to an environment merged into the finding that last
 * brought one in; `codeChanges`: indices of the code changes found, which bound the points a merged finding is sized on.
 */
export function mergeReturns(
  found: readonly Detection[],
  points: readonly SeriesPoint[],
  stretches: Stretches,
  codeChanges: readonly number[],
  metric: Metric,
  describe: DescribeEnvironment,
): Detection[] {
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
  return out.map((e) => (e.returns === 0 ? e.first : merged(e.first, e.returns, e.end, points, stretches, codeChanges, metric, describe))).sort((a, b) => a.index - b.index);
}
