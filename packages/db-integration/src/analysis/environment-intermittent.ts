/**
 * An intermittent fallback as one finding. A backend that fails now and then (a GPU device lost every few runs, a
 * flaky driver) leaves many short fallback stretches with a few points on the requested backend between them; one
 * finding per stretch buried the report (25 findings for one flaky window of 100 points). Fallback findings to the
 * same environment whose gap is shorter than INTERMITTENT_GAP points are one finding over the whole window, sized on
 * every fallback point in it against the points the first one left.
 */
import { relativeChange, thin } from './detect/intervals';
import { type Detection, type Metric, type SeriesPoint, severityOf } from './regression';

/**
 * Fewest points on the requested backend between two fallbacks for them to stay separate findings: two of the change
 * searches' smallest segment (3 points each side), the least in which anything between them could be compared.
 */
export const INTERMITTENT_GAP = 6;

const sameTarget = (points: readonly SeriesPoint[], a: Detection, b: Detection): boolean => {
  const p = points[a.index]!;
  const q = points[b.index]!;
  return p.backend === q.backend && p.adapter === q.adapter && p.isRealHardware === q.isRealHardware;
};

/** How a finding names the environment a point ran in (environment.ts). */
export type DescribeEnvironment = (p: SeriesPoint) => string;

/**
 * `first` widened to end at `end` and sized on `here` against `there` (values), with its new evidence and detail: a
 * merged environment finding.
 */
export function widened(first: Detection, end: number, sides: { there: number[]; here: number[] }, metric: Metric, evidence: Detection['evidence'], detail: string): Detection {
  const { baseline, current, change, interval } = relativeChange(sides.there, sides.here);
  return { ...first, endIndex: end, severity: Number.isFinite(change) ? severityOf(metric, change) : 'low', baseline, current, changePct: change, interval, evidence, detail };
}

function merged(points: readonly SeriesPoint[], group: readonly Detection[], requestedBackend: string, metric: Metric, describe: DescribeEnvironment): Detection {
  const first = group[0]!;
  const end = group.at(-1)!.endIndex!;
  const fallbackIdx = group.flatMap((d) => Array.from({ length: d.endIndex! - d.index }, (_, i) => d.index + i));
  const here = thin(0, fallbackIdx.length, 60).map((j) => points[fallbackIdx[j]!]!.value);
  const before = first.evidence?.before;
  const there = before === undefined ? [] : thin(before[0], before[1], 60).map((i) => points[i]!.value);
  return widened(
    first,
    end,
    { there, here },
    metric,
    before === undefined ? undefined : { before, after: [first.index, end] },
    `points ${first.index}-${end - 1}: intermittent fallback, ${group.length} times to ${describe(points[first.index]!)} instead of ${requestedBackend} ` +
      `(${fallbackIdx.length} of ${end - first.index} points; sized on those against the points before): an environment change, not a code regression`,
  );
}

/** `found` (environment findings in index order) with each run of close fallbacks to one environment merged. */
export function mergeIntermittent(found: readonly Detection[], points: readonly SeriesPoint[], requestedBackend: string, metric: Metric, describe: DescribeEnvironment): Detection[] {
  const groups: Detection[][] = [];
  for (const d of found) {
    const group = groups.at(-1);
    const last = group?.at(-1);
    if (last !== undefined && last.kind === 'backend_fallback' && d.kind === 'backend_fallback' && d.index - last.endIndex! < INTERMITTENT_GAP && sameTarget(points, last, d)) {
      group!.push(d);
    } else {
      groups.push([d]);
    }
  }
  return groups.map((g) => (g.length === 1 ? g[0]! : merged(points, g, requestedBackend, metric, describe)));
}
