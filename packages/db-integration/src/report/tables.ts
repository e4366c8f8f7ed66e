/** The report's tables as plain header + string cells, shared by the Markdown, HTML and CSV renderers. */
import { explainRecommendation } from '../analysis/limits';
import { MIN_RUNS_PER_ARM } from '../analysis/optimization';
import type { RegressionRow, ReportData } from './data';

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** What an empty table lacks and how to produce it (one line in place of the table). */
  empty?: string;
}

const MEASURE = 'run `browser-pool bench` (or `npm run demo`), or widen `--days`';

const n = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

export function recommendationsTable(d: ReportData): Table {
  return {
    title: 'Browser recommendations',
    empty: `no measurements in the last ${d.filter.days} days: ${MEASURE}`,
    headers: ['model type', 'model', 'browser', 'backend', 'p50 ms', 'samples', 'confidence', 'real hardware', 'reason', 'bound by (not the model\'s work)'],
    rows: d.recommendations.map((r) => [
      r.modelType,
      r.model ?? '(all of type)',
      r.browser,
      r.backend,
      n(r.p50LatencyMs),
      String(r.samples),
      r.confidence,
      r.isRealHardware ? 'yes' : 'no (software adapter)',
      r.reason,
      explainRecommendation(r, d.limits).join('; '),
    ]),
  };
}

export function performanceTable(d: ReportData): Table {
  return {
    title: 'Performance by model, browser, backend and batch size',
    empty: `no measurements in the last ${d.filter.days} days: ${MEASURE}`,
    headers: ['model', 'type', 'browser', 'backend', 'batch', 'samples', 'p50 ms', 'p90 ms', 'p99 ms', 'items/s', 'init ms', 'first run ms', 'memory MiB', 'real hardware'],
    rows: d.performance.map((p) => [
      p.model,
      p.modelType,
      p.browser,
      p.backend,
      String(p.batchSize),
      String(p.samples),
      n(p.p50Ms),
      n(p.p90Ms),
      n(p.p99Ms),
      n(p.throughput, 1),
      n(p.initMs, 1),
      n(p.firstRunMs, 1),
      n(p.memoryMb, 1),
      p.isRealHardware ? 'yes' : `no: ${p.note ?? 'software adapter'}`,
    ]),
  };
}

export function regressionsTable(d: ReportData): Table {
  const commits = (r: RegressionRow): string => (r.commits.from === null && r.commits.to === null ? '' : r.commits.from === r.commits.to ? `at ${r.commits.to}` : `${r.commits.from ?? '(start)'}..${r.commits.to ?? '?'}`);
  const evidence = (r: RegressionRow): string => {
    if (r.evidence === null) {
      return '';
    }
    const show = (xs: { value: number }[]): string => xs.map((x) => x.value.toPrecision(3)).join(' ');
    return `${r.evidence.beforeCount} before (… ${show(r.evidence.before)}); ${r.evidence.afterCount} after (${show(r.evidence.after)} …)`;
  };
  return {
    title: 'Regressions, improvements, drifts and environment changes',
    empty: 'no findings stored: `browser-pool db scan` looks for them in the stored series (a pool with the DuckDB recorder scans on close)',
    headers: ['id', 'severity', 'finding', 'metric', 'model', 'browser', 'backend', 'batch', 'change %', '95 % interval', 'baseline', 'current', 'commits', 'change at', 'status', 'evidence', 'detail', 'detector'],
    rows: d.regressions.map((r) => [
      String(r.id),
      r.severity,
      r.kind === 'backend_fallback' || r.kind === 'adapter_change' || r.kind === 'browser_version' ? `${r.findingClass} (${r.kind.replace('_', ' ')})` : r.findingClass,
      r.metric,
      r.model,
      r.browser,
      r.backend,
      String(r.batchSize),
      n(r.changePct, 1),
      r.intervalPct === null ? '' : `${n(r.intervalPct[0], 1)} to ${n(r.intervalPct[1], 1)}`,
      n(r.baseline),
      n(r.current),
      commits(r),
      r.changeAt.toISOString(),
      r.status,
      evidence(r),
      r.detail,
      r.detector,
    ]),
  };
}

/**
 * `report optimization`: one row per flag x configuration x metric, with the full flag set the comparison held
 * fixed, the runs per arm and the verdict ("too few runs" names the counts and the minimum).
 */
export function optimizationTable(d: ReportData): Table {
  return {
    title: `Optimization flags (on/off ratio of medians over runs, 95 % bootstrap interval; a verdict needs ${MIN_RUNS_PER_ARM} runs per arm)`,
    empty: `no configuration measured with a flag both on and off: \`browser-pool bench --flags compute-shaders,precompile,parallel-loading --repeats ${MIN_RUNS_PER_ARM}\``,
    headers: ['flag', 'other flags', 'metric', 'model', 'browser', 'backend', 'batch', 'on', 'off', 'ratio', 'interval', 'runs on/off', 'verdict', 'note'],
    rows: d.impact.map((i) => [
      i.name,
      i.otherFlags,
      i.metric,
      i.model,
      i.browser,
      i.backend,
      String(i.batchSize),
      n(i.on),
      n(i.off),
      n(i.ratio, 3),
      `${n(i.interval[0], 3)} - ${n(i.interval[1], 3)}`,
      `${i.nOn}/${i.nOff}`,
      i.verdict,
      i.note,
    ]),
  };
}

export function compatibilityTable(d: ReportData): Table {
  return {
    title: 'Compatibility matrix',
    empty: `no load outcomes stored: ${MEASURE}`,
    headers: ['model', 'browser', 'backend', 'status', 'error'],
    rows: d.compatibility.map((c) => [c.model, c.browser, c.backend, c.status, c.error ?? '']),
  };
}

export function trendsTable(d: ReportData): Table {
  return {
    title: 'Trends and anomalies',
    empty: 'no series with enough points over time: repeat `browser-pool bench` on later days, or run a pool with the DuckDB recorder',
    headers: ['model', 'browser', 'backend', 'batch', 'points', 'baseline p50 ms', 'trend %/day', 'anomalies'],
    rows: d.trends.map((t) => [t.model, t.browser, t.backend, String(t.batchSize), String(t.points.length), n(t.baselineMs), n(t.trendPctPerDay, 2), String(t.anomalies.length)]),
  };
}

export function allTables(d: ReportData): Table[] {
  return [recommendationsTable(d), performanceTable(d), regressionsTable(d), trendsTable(d), compatibilityTable(d)];
}
