/**
 * Browser recommendations: per model and per model type, the browser + backend with the lowest measured median
 * latency, with sample counts, a confidence and the reason. Software WebGPU adapters compete only where nothing
 * real was measured for that model.
 */
import type { BrowserRecommendation } from '@browser-pool/pool';

import { DbError, DbErrorCode } from '../errors';
import type { Store } from '../store/store';
import { recentMeasured,type RecentQuery } from './recent';
import { median } from './stats';

/** One browser + backend's measurements of one model. */
export interface Candidate {
  modelType: string;
  model: string;
  browser: string;
  backend: string;
  isRealHardware: boolean;
  softwareReason: string | undefined;
  samples: number;
  p50LatencyMs: number;
  throughput: number | undefined;
}

export interface RecommendOptions {
  /** Samples the winner needs for `medium` confidence. @default 30 */
  minSamples?: number;
  /** Samples the winner needs for `high` confidence. @default 100 */
  highSamples?: number;
}

type Confidence = BrowserRecommendation['confidence'];

function confidenceOf(samples: number, gap: number | undefined, o: Required<RecommendOptions>): Confidence {
  if (samples >= o.highSamples && gap !== undefined && gap >= 0.1) {
    return 'high';
  }
  return samples >= o.minSamples && (gap === undefined || gap >= 0.05) ? 'medium' : 'low';
}

const label = (c: { browser: string; backend: string }): string => `${c.browser}/${c.backend}`;

/** Picks the winner of one model's candidates. */
function recommendModel(candidates: readonly Candidate[], o: Required<RecommendOptions>): BrowserRecommendation {
  const real = candidates.filter((c) => c.isRealHardware);
  const pool = real.length > 0 ? real : candidates;
  const ranked = [...pool].sort((a, b) => a.p50LatencyMs - b.p50LatencyMs);
  const winner = ranked[0]!;
  const runnerUp = ranked[1];
  const gap = runnerUp === undefined ? undefined : runnerUp.p50LatencyMs / winner.p50LatencyMs - 1;
  const excluded = candidates.filter((c) => !c.isRealHardware && real.length > 0);
  const parts = [`${label(winner)} p50 ${winner.p50LatencyMs.toFixed(2)} ms over ${winner.samples} samples`];
  parts.push(runnerUp === undefined ? 'the only real candidate measured' : `${(gap! * 100).toFixed(0)} % faster than ${label(runnerUp)} (${runnerUp.p50LatencyMs.toFixed(2)} ms)`);
  if (excluded.length > 0) {
    parts.push(`excluded software adapters: ${excluded.map((c) => `${label(c)} (${c.softwareReason ?? 'software'})`).join(', ')}`);
  }
  if (real.length === 0) {
    parts.push('only software adapters were measured: not real GPU hardware');
  }
  return {
    modelType: winner.modelType as BrowserRecommendation['modelType'],
    model: winner.model,
    browser: winner.browser,
    backend: winner.backend,
    p50LatencyMs: winner.p50LatencyMs,
    throughput: winner.throughput,
    samples: winner.samples,
    confidence: confidenceOf(winner.samples, gap, o),
    isRealHardware: winner.isRealHardware,
    reason: parts.join('; '),
  };
}

/**
 * Per model, then per model type: a type's candidates are ranked by the geometric mean, over the type's models, of
 * their latency relative to that model's best (so a big model does not outweigh a small one).
 */
export function recommend(candidates: readonly Candidate[], options: RecommendOptions = {}): BrowserRecommendation[] {
  const o: Required<RecommendOptions> = { minSamples: options.minSamples ?? 30, highSamples: options.highSamples ?? 100 };
  const byModel = groupBy(candidates, (c) => c.model);
  const perModel = [...byModel.values()].map((cs) => recommendModel(cs, o));
  const perType: BrowserRecommendation[] = [];
  for (const [type, cs] of groupBy(candidates, (c) => c.modelType)) {
    const anyReal = cs.some((c) => c.isRealHardware);
    const eligible = cs.filter((c) => c.isRealHardware || !anyReal);
    const best = new Map<string, number>();
    for (const c of eligible) {
      best.set(c.model, Math.min(best.get(c.model) ?? Infinity, c.p50LatencyMs));
    }
    const models = best.size;
    const scored = [...groupBy(eligible, label).values()]
      .filter((g) => g.length === models) // only candidates measured on every model of the type compete
      .map((g) => ({
        g,
        score: Math.exp(g.reduce((a, c) => a + Math.log(c.p50LatencyMs / best.get(c.model)!), 0) / g.length),
        samples: g.reduce((a, c) => a + c.samples, 0),
      }))
      .sort((a, b) => a.score - b.score);
    const win = scored[0];
    if (win === undefined) {
      continue;
    }
    const second = scored[1];
    const gap = second === undefined ? undefined : second.score / win.score - 1;
    const first = win.g[0]!;
    perType.push({
      modelType: type as BrowserRecommendation['modelType'],
      model: undefined,
      browser: first.browser,
      backend: first.backend,
      p50LatencyMs: median(win.g.map((c) => c.p50LatencyMs)),
      throughput: undefined,
      samples: win.samples,
      confidence: confidenceOf(win.samples, gap, o),
      isRealHardware: win.g.every((c) => c.isRealHardware),
      reason:
        `${label(first)} is fastest across ${models} ${type} model(s) (${win.samples} samples)` +
        (second === undefined ? '; no other browser/backend was measured on all of them' : `; ${label(second.g[0]!)} is ${(gap! * 100).toFixed(0)} % slower (geometric mean)`) +
        (anyReal ? '' : '; only software adapters were measured: not real GPU hardware'),
    });
  }
  return [...perType, ...perModel];
}

export type CandidateQuery = RecentQuery;

/** Candidates from stored measurements: the median of stored p50s (one per window or benchmark result) per model x browser x backend. */
export async function loadCandidates(store: Store, q: CandidateQuery = {}): Promise<Candidate[]> {
  const days = q.days ?? 30;
  if (!(days > 0)) {
    throw new DbError(DbErrorCode.InvalidArgument, `days must be a positive number, got ${days}`);
  }
  const { where, params } = recentMeasured({ ...q, days });
  const rows = await store.all<{
    model_type: string | null;
    model_name: string;
    browser: string;
    backend: string;
    real: boolean;
    why: string | null;
    samples: number;
    p50: number;
    throughput: number | null;
  }>(
    `SELECT any_value(model_type) AS model_type, model_name, browser, backend, bool_and(is_real_hardware) AS real,
            any_value(simulation_reason) AS why, sum(samples)::BIGINT AS samples,
            quantile_cont(p50_ms, 0.5) AS p50, median(throughput) AS throughput
     FROM measurements
     WHERE ${where}
     GROUP BY model_name, browser, backend, is_real_hardware`,
    params,
  );
  return rows.map((r) => ({
    modelType: r.model_type ?? 'unknown',
    model: r.model_name,
    browser: r.browser,
    backend: r.backend,
    isRealHardware: r.real,
    softwareReason: r.why ?? undefined,
    samples: r.samples,
    p50LatencyMs: r.p50,
    throughput: r.throughput ?? undefined,
  }));
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    out.set(k, [...(out.get(k) ?? []), x]);
  }
  return out;
}
