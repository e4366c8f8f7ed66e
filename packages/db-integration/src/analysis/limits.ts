/**
 * Results bound by something other than the model's work. A recommendation that says "Firefox WebGPU is 5× slower"
 * misleads when Firefox's p50 is 100.0–100.2 ms for every model and batch size: Firefox polls its GPU devices every
 * 100 ms, so each readback waits for the next tick. Three signs, each stated beside the recommendation:
 *
 * - `timer`: every configuration of a browser/backend (at least two models or batch sizes) sits on one timer's
 *   ticks (within 1 % of a multiple of a known period), or all share one level (spread within 2 %) although the
 *   work differs: a fixed wait sets the figure.
 * - `flat_batch`: a model's p50 grows by at most 10 % while the batch grows at least 2×: per-call overhead, not the
 *   model's arithmetic, dominates (compare throughput, not latency).
 * - `software_adapter`: a software WebGPU adapter (SwiftShader, lavapipe) ran it: real execution, not GPU speed.
 */
import type { Store } from '../store/store';
import { recentMeasured,type RecentQuery } from './recent';

/** One configuration: the median of its stored p50s. */
export interface LimitRow {
  modelType: string;
  model: string;
  browser: string;
  backend: string;
  batchSize: number;
  p50Ms: number;
  isRealHardware: boolean;
  softwareReason: string | undefined;
}

export type LimitKind = 'timer' | 'flat_batch' | 'software_adapter';

export interface ResultLimit {
  kind: LimitKind;
  browser: string;
  backend: string;
  /** The model it concerns; undefined when it holds for every model measured on this browser/backend. */
  model: string | undefined;
  /** Model types it concerns (every type measured on this browser/backend when `model` is undefined). */
  modelTypes: string[];
  /** What was seen and what it means, in one sentence. */
  detail: string;
}

/** Timers known to hold a result back, with the reason a reader needs. */
export const KNOWN_TIMERS: readonly { periodMs: number; cause: string }[] = [
  { periodMs: 100, cause: 'a 100 ms timer: Firefox polls its GPU devices every 100 ms, so each readback waits for the next tick' },
  { periodMs: 1000 / 60, cause: 'the 60 Hz frame clock (16.7 ms): work waits for the next animation frame' },
];

/** Fewest configurations (models x batch sizes) of one browser/backend before a timer is named. */
export const MIN_TIMER_CONFIGS = 3;
const TICK_TOLERANCE = 0.01;
const SAME_LEVEL_SPREAD = 0.02;
const FLAT_BATCH_GROWTH = 0.1;

const fmt = (v: number): string => v.toFixed(1);
const range = (xs: readonly number[]): string => (fmt(Math.min(...xs)) === fmt(Math.max(...xs)) ? `${fmt(xs[0]!)} ms` : `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))} ms`);

function groupBy<T>(xs: readonly T[], key: (x: T) => string): T[][] {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    out.set(k, [...(out.get(k) ?? []), x]);
  }
  return [...out.values()];
}

const onTick = (v: number, period: number): boolean => {
  const k = Math.max(1, Math.round(v / period));
  return Math.abs(v - k * period) <= TICK_TOLERANCE * k * period;
};

function timerLimit(rows: readonly LimitRow[]): ResultLimit | undefined {
  const models = new Set(rows.map((r) => r.model));
  const batches = new Set(rows.map((r) => r.batchSize));
  if (rows.length < MIN_TIMER_CONFIGS || (models.size < 2 && batches.size < 2)) {
    return undefined;
  }
  const p50s = rows.map((r) => r.p50Ms);
  const what = `p50 ${range(p50s)} for every model and batch size measured (${models.size} model(s), batch ${[...batches].sort((a, b) => a - b).join('/')})`;
  const timer = KNOWN_TIMERS.find((t) => p50s.every((v) => onTick(v, t.periodMs)));
  const level = Math.min(...p50s);
  const sameLevel = (Math.max(...p50s) - level) / level <= SAME_LEVEL_SPREAD;
  if (timer === undefined && !sameLevel) {
    return undefined;
  }
  const first = rows[0]!;
  return {
    kind: 'timer',
    browser: first.browser,
    backend: first.backend,
    model: undefined,
    modelTypes: [...new Set(rows.map((r) => r.modelType))].sort(),
    detail: timer === undefined
      ? `${what}: a fixed wait, not the model's work, sets this figure`
      : `${what}: quantized to ${timer.cause}; the figure measures the timer, not the model`,
  };
}

function flatBatchLimit(rows: readonly LimitRow[]): ResultLimit | undefined {
  const sorted = [...rows].sort((a, b) => a.batchSize - b.batchSize);
  const lo = sorted[0]!;
  const hi = sorted.at(-1)!;
  if (hi.batchSize < 2 * lo.batchSize || hi.p50Ms > (1 + FLAT_BATCH_GROWTH) * lo.p50Ms) {
    return undefined;
  }
  return {
    kind: 'flat_batch',
    browser: lo.browser,
    backend: lo.backend,
    model: lo.model,
    modelTypes: [lo.modelType],
    detail: `p50 ${fmt(lo.p50Ms)} ms at batch ${lo.batchSize} and ${fmt(hi.p50Ms)} ms at batch ${hi.batchSize}: flat while the work grows ${hi.batchSize / lo.batchSize}×, so per-call overhead sets the latency (compare throughput)`,
  };
}

/** Every limit found in `rows` (one row per model x browser x backend x batch size), timers first. */
export function detectLimits(rows: readonly LimitRow[]): ResultLimit[] {
  const out: ResultLimit[] = [];
  const timed = new Set<string>();
  for (const g of groupBy(rows, (r) => `${r.browser}|${r.backend}`)) {
    const t = timerLimit(g);
    if (t !== undefined) {
      out.push(t);
      timed.add(`${t.browser}|${t.backend}`);
    }
  }
  for (const g of groupBy(rows, (r) => `${r.browser}|${r.backend}|${r.model}`)) {
    const f = timed.has(`${g[0]!.browser}|${g[0]!.backend}`) ? undefined : flatBatchLimit(g);
    if (f !== undefined) {
      out.push(f);
    }
  }
  for (const g of groupBy(rows.filter((r) => !r.isRealHardware), (r) => `${r.browser}|${r.backend}`)) {
    const first = g[0]!;
    out.push({
      kind: 'software_adapter',
      browser: first.browser,
      backend: first.backend,
      model: undefined,
      modelTypes: [...new Set(g.map((r) => r.modelType))].sort(),
      detail: `ran on a software adapter (${first.softwareReason ?? 'software'}): real execution on the CPU, says nothing of GPU speed`,
    });
  }
  return out;
}

/**
 * The limits a reader of one recommendation needs: those of the recommended browser/backend first, then those of
 * the others measured for the same model (or model type), each prefixed with the browser/backend it concerns.
 */
export function explainRecommendation(rec: { modelType: string; model?: string | undefined; browser: string; backend: string }, limits: readonly ResultLimit[]): string[] {
  const concerns = (l: ResultLimit): boolean => (rec.model === undefined ? l.modelTypes.includes(rec.modelType) : l.model === undefined ? l.modelTypes.includes(rec.modelType) : l.model === rec.model);
  const mine = (l: ResultLimit): boolean => l.browser === rec.browser && l.backend === rec.backend;
  const relevant = limits.filter(concerns);
  return [...relevant.filter(mine), ...relevant.filter((l) => !mine(l))].map((l) => `${l.browser}/${l.backend}${l.model === undefined ? '' : ` (${l.model})`}: ${l.detail}`);
}

/** One row per model x browser x backend x batch size measured in the last `days`: the rows `detectLimits` reads. */
export async function loadLimitRows(store: Store, q: RecentQuery = {}): Promise<LimitRow[]> {
  const { where, params } = recentMeasured(q);
  const rows = await store.all<{ model_type: string | null; model_name: string; browser: string; backend: string; batch_size: number; p50: number; real: boolean; why: string | null }>(
    `SELECT any_value(model_type) AS model_type, model_name, browser, backend, batch_size, quantile_cont(p50_ms, 0.5) AS p50,
            bool_and(is_real_hardware) AS real, any_value(simulation_reason) AS why
     FROM measurements
     WHERE ${where}
     GROUP BY model_name, browser, backend, batch_size`,
    params,
  );
  return rows.map((r) => ({
    modelType: r.model_type ?? 'unknown',
    model: r.model_name,
    browser: r.browser,
    backend: r.backend,
    batchSize: r.batch_size,
    p50Ms: r.p50,
    isRealHardware: r.real,
    softwareReason: r.why ?? undefined,
  }));
}
