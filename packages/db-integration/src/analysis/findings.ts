/**
 * The project's regression detector: environment stretches first (a backend or adapter change is an environment
 * finding wherever it is, index 0 included), then, within each stretch where the environment is constant, the
 * calibrated change-point search and shape choice of `detect/stretch.ts` on log values. Every finding states its kind,
 * its size with a ~95 % interval, the index ranges it compares (evidence) and, for a drift, its slope.
 *
 * Smallest detectable step: see `smallestDetectableStep` (detect/detectability.ts).
 */
import { type EnvironmentFinding, mergeAcrossEnvironments } from './code-change-merge';
import { ditheredLogs } from './detect/dither';
import { EVIDENCE_POINTS, pctText, shiftInterval, slopeInterval, thin } from './detect/intervals';
import { analyseStretch, type StretchEvent } from './detect/stretch';
import type { WaveStepSize } from './detect/wave-step';
import { describeEnvironment, environmentChanges, segmentByEnvironment, stretchKeys } from './environment';
import { isShortLived, SHORT_LIVED } from './environment-alternating';
import { type Detection, type Metric, type SeriesPoint, severityOf, thresholdDetector,THRESHOLDS } from './regression';
import { mannWhitney, median } from './stats';

export interface FindingOptions {
  /** Smallest relative change reported (step: between medians; drift: total). @default 0.02 */
  minEffect?: number;
  /** Leading points of each stretch that may be warm-up (a first change down within them is not reported). @default 5 */
  warmupMax?: number;
  /**
   * Analyses of this series' stretches made for another metric, reused where this metric's (oriented) log values
   * differ from those by a constant (`StretchMemo`). Pass one memo per series to each of its metrics. @default none
   */
  memo?: StretchMemo;
}

/**
 * The analysis of each stretch of one series (by environment key), kept for its next metric. Every step of the
 * analysis (ranks, fits with a level, medians, shifts) is unchanged when a constant is added to the log values, so a
 * metric whose oriented log values are another's plus a constant (throughput that is a constant over latency: after
 * negation, log latency less the log of that constant) has the same events: analysing it again repeated the same work
 * (on the 1M-row database, half of the scan's detection). Reused only where every value differs by the same constant
 * within MEMO_TOLERANCE (rounding; values a tie-breaking dither moved differently are analysed again).
 */
export type StretchMemo = Map<string, { ys: Float64Array; events: StretchEvent[] }>;

/** Largest departure (log units) from one constant difference that still counts as the same values shifted. */
const MEMO_TOLERANCE = 1e-9;

function shiftedBy(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length || a.length === 0) {
    return false;
  }
  const d = b[0]! - a[0]!;
  for (let i = 1; i < a.length; i++) {
    if (!(Math.abs(b[i]! - a[i]! - d) <= MEMO_TOLERANCE)) {
      return false;
    }
  }
  return true;
}

/** The events of ys (oriented log values), from `memo` where it holds them for the same values shifted. */
function analysedOnce(memo: StretchMemo | undefined, key: string, ys: Float64Array, analyse: () => StretchEvent[]): StretchEvent[] {
  const prior = memo?.get(key);
  if (prior !== undefined && shiftedBy(prior.ys, ys)) {
    return prior.events;
  }
  const events = analyse();
  memo?.set(key, { ys, events });
  return events;
}

/**
 * A step in `points` at `at`; `label`: the point number its text gives (its index in the whole series). Sized by the
 * Hodges-Lehmann shift of the points either side, or, for a step found on a wave (`wave`), net of the wave: there the
 * points either side also differ by the wave's rise or fall between them.
 */
function stepFinding(points: readonly SeriesPoint[], metric: Metric, at: number, before: [number, number], after: [number, number], label: number, wave?: WaveStepSize): Detection {
  const bw: [number, number] = [Math.max(before[0], before[1] - EVIDENCE_POINTS), before[1]];
  const aw: [number, number] = [after[0], Math.min(after[1], after[0] + EVIDENCE_POINTS)];
  const b = points.slice(bw[0], bw[1]).map((p) => p.value);
  const a = points.slice(aw[0], aw[1]).map((p) => p.value);
  const hl = wave ?? shiftInterval(b.map(Math.log), a.map(Math.log));
  const change = Math.expm1(hl.shift);
  const worse = THRESHOLDS[metric].sign * change > 0;
  const baseline = median(b);
  const current = median(a);
  const size = `${pctText(change)}, 95 % interval ${pctText(Math.expm1(hl.low))} to ${pctText(Math.expm1(hl.high))}`;
  return {
    index: at,
    detector: 'rank-changepoint',
    kind: worse ? 'regression' : 'improvement',
    severity: worse ? severityOf(metric, change) : 'low',
    baseline,
    current,
    changePct: change,
    // On a wave the points either side differ by the wave too: no rank test of them says whether the step is real.
    pValue: wave === undefined ? mannWhitney(b, a).pTwoSided : undefined,
    interval: [Math.expm1(hl.low), Math.expm1(hl.high)],
    evidence: { before: bw, after: aw },
    detail:
      wave === undefined
        ? `step at point ${label}: median ${baseline.toPrecision(4)} -> ${current.toPrecision(4)} (${size}), ${b.length} points before vs ${a.length} after`
        : `step at point ${label} on a wave of ${Math.round(wave.period)} points (seasonality, fitted with the step): ${size} net of the wave; median ${baseline.toPrecision(4)} -> ${current.toPrecision(4)} over ${b.length} points before vs ${a.length} after, which includes the wave's rise or fall`,
  };
}

/** A drift in `points` over [start, end); `label`: the point number its text gives for `start`. */
function driftFinding(points: readonly SeriesPoint[], metric: Metric, start: number, end: number, stretchStart: number, slope: number, label: number): Detection {
  const idx = thin(start, end, 150);
  const s = slopeInterval(idx, idx.map((i) => Math.log(points[i]!.value)));
  const span = end - 1 - start;
  // The robust fit's slope sets the size; Sen's interval (on the same points) its uncertainty.
  const total = Math.expm1(slope * span);
  const days = (points[end - 1]!.at - points[start]!.at) / 86_400_000;
  const perDay = days > 0 ? Math.expm1((slope * span) / days) : undefined;
  const worse = THRESHOLDS[metric].sign * total > 0;
  const first = median(idx.slice(0, Math.max(3, Math.floor(idx.length / 10))).map((i) => points[i]!.value));
  return {
    index: start,
    endIndex: end,
    detector: 'rank-changepoint',
    kind: 'drift',
    severity: worse ? severityOf(metric, total) : 'low',
    baseline: first,
    current: first * (1 + total),
    changePct: total,
    pValue: undefined,
    interval: [Math.expm1(s.low * span), Math.expm1(s.high * span)],
    slope: { perPoint: Math.expm1(slope), low: Math.expm1(s.low), high: Math.expm1(s.high), perDay },
    evidence: { before: [stretchStart, start], after: [start, end] },
    detail: `${worse ? 'creeping slowdown' : 'gradual improvement'} since point ${label}: ${pctText(Math.expm1(slope))} per measurement${perDay === undefined ? '' : ` (${pctText(perDay)} per day)`}, ${pctText(total)} over ${end - start} points (95 % interval ${pctText(Math.expm1(s.low * span))} to ${pctText(Math.expm1(s.high * span))})`,
  };
}

/**
 * How far (log) from its stretch's median a value may lie before detection clamps it there: a millionfold. No
 * measurement of one thing moves that far, but one such value (a client posting 1e308 ms: finite and non-negative,
 * so the REST schema accepts it) made every later fit see nothing else: a +30 % step 30 points on went unreported
 * with one point at 1e30x or 1e-300x in 60 points. Up to 1e9x the detector was unaffected; the clamp keeps every
 * value inside that. Reported sizes use the raw values (their Hodges-Lehmann shift does not care).
 */
const GROSS_LOG = Math.log(1e6);

/** Clamps ys (log values) to GROSS_LOG around their median; costs a pass where nothing is that far (the usual case). */
function clampGross(ys: Float64Array): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const y of ys) {
    lo = Math.min(lo, y);
    hi = Math.max(hi, y);
  }
  if (!(hi - lo > GROSS_LOG)) {
    return;
  }
  const mid = median(Array.from(ys));
  for (let i = 0; i < ys.length; i++) {
    ys[i] = Math.min(mid + GROSS_LOG, Math.max(mid - GROSS_LOG, ys[i]!));
  }
}

/**
 * The analysis reads up as worse: a warm-up is its first points set aside where they are *higher* (slow first runs).
 * A metric where higher is better (throughput: its warm-up is its first points lower) is analysed negated. Before,
 * the throughput of every series with slow first runs reported its warm-up as an improvement of about +100 % at its
 * third to fifth point (76-102 of 100 series of 20-200 points with 3x, 2x, 1.5x, 1.25x slow first runs).
 */
function oriented(ys: Float64Array, metric: Metric): Float64Array {
  if (THRESHOLDS[metric].sign < 0) {
    for (let i = 0; i < ys.length; i++) {
      ys[i] = -ys[i]!;
    }
  }
  return ys;
}

/** An event found on `oriented` values, with its sizes back on the metric's own log values. */
function backFromOriented(ev: StretchEvent, metric: Metric): StretchEvent {
  if (THRESHOLDS[metric].sign > 0) {
    return ev;
  }
  if (ev.type === 'drift') {
    return { ...ev, slopePerPoint: -ev.slopePerPoint };
  }
  return ev.wave === undefined ? ev : { ...ev, wave: { ...ev.wave, shift: -ev.wave.shift, low: -ev.wave.high, high: -ev.wave.low } };
}

/**
 * A finding made on the points of one environment with its indices put back in the series: `at` maps an index among
 * those points to the series. Where they are not one stretch (the environment recurs: two hosts with different GPUs
 * feeding one series, a backend lost now and then; `joined`: their series indices), its evidence also lists the
 * points compared, since its index ranges then hold points of other environments too.
 */
function inSeries(d: Detection, at: (i: number) => number, joined: readonly number[] | undefined, environment: string): Detection {
  const range = ([a, b]: [number, number]): [number, number] => (a === b ? [at(a), at(a)] : [at(a), at(b - 1) + 1]);
  const out: Detection = { ...d, index: at(d.index), ...(joined === undefined ? {} : { detail: `${d.detail}; compared on the points that ran on ${environment}` }) };
  if (d.endIndex !== undefined) {
    out.endIndex = range([d.index, d.endIndex])[1];
  }
  if (d.evidence !== undefined) {
    const { before, after } = d.evidence;
    out.evidence = { before: range(before), after: range(after), ...(joined === undefined ? {} : { points: { before: joined.slice(before[0], before[1]), after: joined.slice(after[0], after[1]) } }) };
  }
  return out;
}

/** How a finding names the environment whose points it compared (`key` from `stretchKeys`). */
function environmentName(key: string, sub: readonly SeriesPoint[]): string {
  if (!isShortLived(key)) {
    return describeEnvironment(sub[0]!);
  }
  const kinds = new Set(sub.map((p) => `${p.adapter ?? '-'}|${p.browserVersion ?? '-'}`)).size;
  return `${sub[0]!.backend}, across ${kinds} adapters or browser versions that each held fewer than ${SHORT_LIVED} points (the change may be theirs)`;
}

/**
 * Every finding in one series: environment changes, then steps (regressions and improvements) and drifts. Code
 * changes are searched on each environment's own points in time order (all the stretches that ran in it, joined): a
 * series that alternates between environments (two hosts with different GPUs, a flaky backend) is otherwise cut into
 * stretches too short for any change to be found, and a series that returns to its environment after a fallback
 * compares the points either side of it. A change found on several environments' points is then one finding.
 */
export function detectFindings(points: readonly SeriesPoint[], requestedBackend: string, metric: Metric, options: FindingOptions = {}): Detection[] {
  const minLogEffect = Math.log1p(options.minEffect ?? 0.02);
  const found: EnvironmentFinding[] = [];
  const stretches = segmentByEnvironment(points);
  const keys = stretchKeys(points, stretches);
  const groups = new Map<string, [number, number][]>();
  stretches.forEach((r, k) => groups.set(keys[k]!, [...(groups.get(keys[k]!) ?? []), r]));
  for (const [key, ranges] of groups) {
    const [s, e] = ranges[0]!;
    // One stretch (the usual case): a slice and an offset; else the stretches' indices, joined.
    const joined = ranges.length === 1 ? undefined : ranges.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
    const sub = joined === undefined ? points.slice(s, e) : joined.map((i) => points[i]!);
    if (!sub.every((p) => p.value > 0)) {
      continue;
    }
    const at = joined === undefined ? (i: number): number => s + i : (i: number): number => (i < joined.length ? joined[i]! : joined[joined.length - 1]! + 1);
    const ys = oriented(ditheredLogs(sub.map((p) => p.value)), metric);
    clampGross(ys);
    const wholeSeries = sub.length === points.length;
    const analyse = (): StretchEvent[] => analyseStretch(ys, { minLogEffect, warmupMax: options.warmupMax, wholeSeries }).events;
    const events = analysedOnce(options.memo, `${key}|${wholeSeries}`, ys, analyse).map((ev) => backFromOriented(ev, metric));
    const environment = environmentName(key, sub);
    for (const ev of events) {
      const finding =
        ev.type === 'step'
          ? stepFinding(sub, metric, ev.at, ev.before, ev.after, at(ev.at), ev.wave)
          : driftFinding(sub, metric, ev.start, ev.end, 0, ev.slopePerPoint, at(ev.start));
      found.push({ finding: inSeries(finding, at, joined, isShortLived(key) ? environment : `${environment} only`), key, environment });
    }
  }
  // One code change found on several environments' points is one finding (code-change-merge.ts).
  const out = mergeAcrossEnvironments(found);
  // Environment changes are sized on the points next to them, up to the nearest code change found above.
  // ... and net of the drifts found (a drift's slope from its total over its points).
  const drifts = out.filter((d) => d.kind === 'drift' && d.endIndex !== undefined && d.endIndex - d.index > 1).map((d) => ({ start: d.index, end: d.endIndex!, slope: Math.log1p(d.changePct) / (d.endIndex! - 1 - d.index) }));
  out.push(...environmentChanges(points, requestedBackend, metric, out.map((d) => d.index), stretches, drifts));
  return out.sort((a, b) => a.index - b.index);
}

/** Step regressions only (no environment, improvements or drifts), on bare values: the shape older callers used. */
export function rankChangePointDetector(values: readonly number[], metric: Metric, options: FindingOptions = {}): Detection[] {
  const points = values.map((value, i) => ({ at: i, value, backend: 'same', adapter: undefined, isRealHardware: true }));
  return detectFindings(points, 'same', metric, options).filter((d) => d.kind === 'regression');
}

export type DetectorName = 'threshold' | 'rank-changepoint';

/**
 * Fallback-aware detection on one series. 'rank-changepoint' is `detectFindings`; 'threshold' is the classic rule
 * within each constant-environment stretch, with the same environment findings.
 */
export function detectRegressions(points: readonly SeriesPoint[], requestedBackend: string, metric: Metric, detector: DetectorName, memo?: StretchMemo): Detection[] {
  if (detector === 'rank-changepoint') {
    return detectFindings(points, requestedBackend, metric, { memo });
  }
  const out = environmentChanges(points, requestedBackend, metric);
  for (const [s, e] of segmentByEnvironment(points)) {
    const found = thresholdDetector(points.slice(s, e).map((p) => p.value), metric);
    out.push(...found.map((d) => ({ ...d, index: d.index + s })));
  }
  return out.sort((a, b) => a.index - b.index);
}
