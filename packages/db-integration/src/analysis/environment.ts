/**
 * Environment changes: what actually ran (backend, adapter, real or software hardware, browser version) changed. They
 * are reported as `backend_fallback` / `adapter_change` / `browser_version` wherever they happen, index 0 included (a
 * series that starts on WASM and then runs on the requested WebGPU fell back at its start), and detectors search for
 * code changes only within stretches where the environment is constant, so an environment change is never blamed on
 * the code. A point without a recorded browser version (older rows) continues the version before it.
 */
import { relativeChange, thin } from './detect/intervals';
import { mergeReturns, SHORT_LIVED, shortLivedKey } from './environment-alternating';
import { mergeIntermittent } from './environment-intermittent';
import { type Detection, type Metric, type SeriesPoint, severityOf } from './regression';

/** The environment a point ran in, as one comparable key. */
export function environmentOf(p: SeriesPoint): string {
  return `${p.backend}|${p.adapter ?? '-'}|${p.isRealHardware}`;
}

/** Whether two points ran on the same backend and adapter (field by field: the scan calls this for every point). */
export function sameEnvironment(a: SeriesPoint, b: SeriesPoint): boolean {
  return a.backend === b.backend && a.adapter === b.adapter && a.isRealHardware === b.isRealHardware;
}

/** [start, end) ranges where the environment is constant (a version change needs both versions known). */
export function segmentByEnvironment(points: readonly SeriesPoint[]): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  let version = points[0]?.browserVersion;
  for (let i = 1; i <= points.length; i++) {
    const v = points[i]?.browserVersion;
    if (i === points.length || !sameEnvironment(points[i]!, points[i - 1]!) || (v !== undefined && version !== undefined && v !== version)) {
      out.push([start, i]);
      start = i;
      version = v;
    } else {
      version ??= v;
    }
  }
  return out;
}

/** The browser version of a stretch: its first recorded one. */
const versionOf = (points: readonly SeriesPoint[], [s, e]: [number, number]): string | undefined => points.slice(s, e).find((p) => p.browserVersion !== undefined)?.browserVersion;

/**
 * What each stretch ran in, as one comparable key: backend, adapter, hardware and browser version (a stretch without
 * a recorded version continues the last one before it). Equal keys are the same environment wherever they recur.
 * Environments with fewer than SHORT_LIVED points in the whole series (a browser version that changes with every
 * nightly run, an adapter string that names each machine) share one key per backend and hardware kind: alone, none
 * holds enough points to search, and one finding per change buried the report (199 in 200 points).
 */
export function stretchKeys(points: readonly SeriesPoint[], stretches: readonly [number, number][]): string[] {
  let version: string | undefined;
  const full = stretches.map((r) => {
    version = versionOf(points, r) ?? version;
    return `${environmentOf(points[r[0]]!)}|${version ?? '-'}`;
  });
  const held = new Map<string, number>();
  full.forEach((key, k) => held.set(key, (held.get(key) ?? 0) + stretches[k]![1] - stretches[k]![0]));
  return full.map((key, k) => {
    const p = points[stretches[k]![0]]!;
    return held.get(key)! >= SHORT_LIVED ? key : shortLivedKey(p);
  });
}

/** How findings name the environment a point ran in. */
export const describeEnvironment = (p: SeriesPoint): string => `${p.backend}${p.adapter === undefined ? '' : ` on ${p.adapter}`}${p.isRealHardware ? '' : ' (software)'}`;

/** A drift found in a series: points [start, end), log change per point. */
export interface DriftSpan {
  start: number;
  end: number;
  slope: number;
}

/**
 * One finding per environment stretch that differs from what came before it, plus a first stretch that did not run
 * the requested backend (a fallback at the start). A return to the requested backend ends a fallback stretch and
 * is not a finding of its own. Each finding compares its stretch with the neighbouring stretch it left (or, at the
 * start, the one that follows), with a Hodges-Lehmann interval when both have at least 2 points. `codeChanges`
 * (indices of steps found within stretches) clip both to the part next to the change, so a later code change inside
 * a stretch does not count towards the environment change's size. Close fallbacks to one environment are one finding
 * (an intermittent fallback: environment-intermittent.ts); a return to an environment the series ran in before joins
 * the finding that last brought a new one in (a series fed by several hosts: environment-alternating.ts).
 */
export function environmentChanges(
  points: readonly SeriesPoint[],
  requestedBackend: string,
  metric: Metric,
  codeChanges: readonly number[] = [],
  /** `segmentByEnvironment(points)`, when the caller has it already. */
  stretches: readonly [number, number][] = segmentByEnvironment(points),
  /** Drifts found in the series: the points they cover are compared net of them (`DriftSpan`). */
  drifts: readonly DriftSpan[] = [],
): Detection[] {
  // The part of [a, b) next to `edge` (its start or its end) up to the nearest code change.
  const near = ([a, b]: [number, number], edge: 'start' | 'end'): [number, number] => {
    const inside = codeChanges.filter((c) => c > a && c < b);
    return edge === 'start' ? [a, inside.length === 0 ? b : Math.min(...inside)] : [inside.length === 0 ? a : Math.max(...inside), b];
  };
  const out: Detection[] = [];
  for (let k = 0; k < stretches.length; k++) {
    const [s, e] = stretches[k]!;
    const cur = points[s]!;
    let other: [number, number] | undefined;
    let backendChanged: boolean;
    let versionOnly = false;
    if (k === 0) {
      if (cur.backend === requestedBackend) {
        continue;
      }
      // A series that ran elsewhere throughout has nothing to compare with: still a fallback, without a size.
      other = stretches[1];
      backendChanged = true;
    } else {
      const prev = points[stretches[k - 1]![0]]!;
      backendChanged = prev.backend !== cur.backend;
      versionOnly = sameEnvironment(prev, cur);
      if (backendChanged && cur.backend === requestedBackend) {
        continue;
      }
      other = stretches[k - 1];
    }
    // Each point a drift covers is moved along it to the change (log slope x distance): a creep that runs on across
    // a browser update is not the update's doing. Compared as they are, a +35 % creep over 200 points across an
    // update at point 100 had the update read as +15.6 % (the creep between the two sides' points).
    let netOfDrift = false;
    const values = (r: [number, number]): number[] =>
      thin(r[0], r[1], 60).map((i) => {
        const drift = drifts.find((d) => i >= d.start && i < d.end);
        netOfDrift ||= drift !== undefined;
        return drift === undefined ? points[i]!.value : points[i]!.value * Math.exp(drift.slope * (s - i));
      });
    const hereRange = k === 0 ? near([s, e], 'end') : near([s, e], 'start');
    const thereRange = other === undefined ? undefined : k === 0 ? near(other, 'start') : near(other, 'end');
    const here = values(hereRange);
    const there = thereRange === undefined ? [] : values(thereRange);
    const { baseline, current, change, interval } = relativeChange(there, here);
    const from = other === undefined ? 'nothing else' : describeEnvironment(points[other[0]]!);
    const browser = (r: [number, number]): string => `${points[r[0]]!.backend} on browser ${versionOf(points, r) ?? 'of unknown version'}`;
    out.push({
      index: s,
      endIndex: e,
      detector: 'environment',
      kind: backendChanged ? 'backend_fallback' : versionOnly ? 'browser_version' : 'adapter_change',
      severity: Number.isFinite(change) ? severityOf(metric, change) : 'low',
      baseline,
      current,
      changePct: change,
      pValue: undefined,
      interval,
      evidence: thereRange === undefined ? undefined : { before: thereRange, after: hereRange },
      detail: `${
        backendChanged
          ? `points ${s}-${e - 1} ran on ${describeEnvironment(cur)} instead of ${requestedBackend} (compared with ${from}): an environment change, not a code regression`
          : versionOnly
            ? `browser updated at point ${s}: ${browser([s, e])}, was ${browser(other!)}: an environment change, not a code regression`
            : `adapter changed to ${describeEnvironment(cur)} from ${from} at point ${s}`
      }${netOfDrift ? '; sized net of the drift found across it' : ''}`,
    });
  }
  return mergeReturns(mergeIntermittent(out, points, requestedBackend, metric, describeEnvironment), points, { ranges: stretches, keys: stretchKeys(points, stretches) }, codeChanges, metric, describeEnvironment);
}
