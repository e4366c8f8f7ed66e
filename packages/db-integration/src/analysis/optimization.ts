/**
 * Impact of each optimization flag: for every configuration (model x browser x backend x batch x the other flags)
 * measured with the flag on and off, the ratio on/off of the medians of init, first-run and steady latency and
 * memory, with a 95 % bootstrap interval over the runs of each arm. A ratio below 1 is an improvement; an interval
 * containing 1 means no measurable effect; fewer than `MIN_RUNS_PER_ARM` runs on either side gives no verdict.
 * A flag has one name everywhere a person reads or types it (`BENCH_FLAG_NAMES`, as `bench --flags` takes them);
 * the database columns keep the legacy schema's names.
 */
import { sqlTimestamp, type Store } from '../store/store';
import { bootstrapInterval, median } from './stats';

export const FLAGS = ['compute_shader_optimized', 'precompile_shaders', 'parallel_loading', 'mixed_precision'] as const;
export type Flag = (typeof FLAGS)[number];
/**
 * `group_load_ms`: wall time to create all of a sweep group's sessions (one per batch size), the figure
 * `parallel-loading` changes; benchmark rows only (`metrics.group_load_wall_ms`).
 */
export const IMPACT_METRICS = ['init_ms', 'first_run_ms', 'p50_ms', 'memory_mb', 'group_load_ms'] as const;
export type ImpactMetric = (typeof IMPACT_METRICS)[number];

/** The flags `bench --flags` sweeps, by the name users type; the same names label every output. */
export const BENCH_FLAG_NAMES = ['compute-shaders', 'precompile', 'parallel-loading'] as const;
export type BenchFlagName = (typeof BENCH_FLAG_NAMES)[number];

/** Display name of each flag column (`mixed-precision` is set by `--precisions`, not by `--flags`). */
export const FLAG_NAME: Record<Flag, BenchFlagName | 'mixed-precision'> = {
  compute_shader_optimized: 'compute-shaders',
  precompile_shaders: 'precompile',
  parallel_loading: 'parallel-loading',
  mixed_precision: 'mixed-precision',
};

/**
 * Fewest runs per arm (flag on, flag off) before a verdict: one sweep stores one summary row per arm, whose
 * bootstrap interval is a point; with 5 a side the 95 % percentile interval of a ratio of medians has some width
 * and a single warm outlier cannot carry the median.
 */
export const MIN_RUNS_PER_ARM = 5;

export type ImpactVerdict = 'better' | 'worse' | 'no measurable effect' | 'too few runs';

export interface FlagImpact {
  flag: Flag;
  /** The flag's name as `bench --flags` takes it. */
  name: string;
  model: string;
  browser: string;
  backend: string;
  batchSize: number;
  /** The other flags this comparison held fixed, e.g. `compute-shaders=off parallel-loading=off`. */
  otherFlags: string;
  metric: ImpactMetric;
  on: number;
  off: number;
  nOn: number;
  nOff: number;
  ratio: number;
  interval: [number, number];
  verdict: ImpactVerdict;
  /** Why the verdict is what it is when that needs saying: too few runs (with the numbers), unbalanced order. */
  note: string;
  /** Runs of both arms stored by sweeps that ran the arms in a randomized, counterbalanced order. */
  balancedRuns: number;
}

export interface ImpactRow {
  model: string;
  browser: string;
  backend: string;
  batchSize: number;
  flags: Record<Flag, boolean | null>;
  values: Record<ImpactMetric, number | null>;
  /** Seed of the sweep's randomized arm order; null for rows from sweeps or recorders without one. @default null */
  orderSeed?: number | null;
}

/** `name=on|off` for each flag column that was recorded (null: not recorded, left out). */
export function flagSetLabel(flags: Partial<Record<Flag, boolean | null>>, except?: Flag): string {
  return FLAGS.filter((f) => f !== except && flags[f] !== null && flags[f] !== undefined).map((f) => `${FLAG_NAME[f]}=${flags[f] === true ? 'on' : 'off'}`).join(' ') || '-';
}

function verdictOf(nOn: number, nOff: number, ratio: number, interval: [number, number], minRuns: number): { verdict: ImpactVerdict; note: string } {
  if (nOn < minRuns || nOff < minRuns) {
    return { verdict: 'too few runs', note: `too few runs: ${nOn} on / ${nOff} off, need ${minRuns} per arm (bench --repeats ${minRuns})` };
  }
  if (interval[0] <= 1 && interval[1] >= 1) {
    return { verdict: 'no measurable effect', note: '' };
  }
  return { verdict: ratio < 1 ? 'better' : 'worse', note: '' };
}

export function flagImpact(rows: readonly ImpactRow[], options: { minRunsPerArm?: number } = {}): FlagImpact[] {
  const minRuns = options.minRunsPerArm ?? MIN_RUNS_PER_ARM;
  const out: FlagImpact[] = [];
  for (const flag of FLAGS) {
    const groups = new Map<string, { on: ImpactRow[]; off: ImpactRow[] }>();
    for (const r of rows) {
      const v = r.flags[flag];
      if (v === null) {
        continue;
      }
      // Same configuration except this flag: the other flags are part of the key.
      const others = FLAGS.filter((f) => f !== flag).map((f) => String(r.flags[f]));
      const key = [r.model, r.browser, r.backend, r.batchSize, ...others].join('|');
      const g = groups.get(key) ?? { on: [], off: [] };
      groups.set(key, g);
      (v ? g.on : g.off).push(r);
    }
    for (const g of groups.values()) {
      if (g.on.length === 0 || g.off.length === 0) {
        continue;
      }
      const first = g.on[0]!;
      const all = [...g.on, ...g.off];
      const balancedRuns = all.filter((r) => r.orderSeed !== undefined && r.orderSeed !== null).length;
      for (const metric of IMPACT_METRICS) {
        const on = g.on.map((r) => r.values[metric]).filter((v): v is number => v !== null && v > 0);
        const off = g.off.map((r) => r.values[metric]).filter((v): v is number => v !== null && v > 0);
        if (on.length === 0 || off.length === 0) {
          continue;
        }
        const ratioOf = (a: readonly number[], b: readonly number[]): number => median(a) / median(b);
        const ratio = ratioOf(on, off);
        const interval = bootstrapInterval(on, off, ratioOf, { iterations: 1000 });
        const judged = verdictOf(on.length, off.length, ratio, interval, minRuns);
        const unbalanced = all.length - balancedRuns;
        out.push({
          flag,
          name: FLAG_NAME[flag],
          model: first.model,
          browser: first.browser,
          backend: first.backend,
          batchSize: first.batchSize,
          otherFlags: flagSetLabel(first.flags, flag),
          metric,
          on: median(on),
          off: median(off),
          nOn: on.length,
          nOff: off.length,
          ratio,
          interval,
          ...judged,
          note: [judged.note, unbalanced > 0 ? `${unbalanced} of ${all.length} runs from sweeps without a randomized arm order` : ''].filter((s) => s !== '').join('; '),
          balancedRuns,
        });
      }
    }
  }
  return out;
}

export async function loadImpactRows(store: Store, days = 30, model?: string): Promise<ImpactRow[]> {
  const since = sqlTimestamp(new Date(Date.now() - days * 86_400_000));
  // benchmark rows straight from performance_results: the group load time and the sweep's arm-order seed (in its
  // test_runs row) are not in the measurements view; pool time series come from the view
  const rows = await store.all<Record<string, unknown>>(
    `SELECT m.model_name, h.browser, h.backend, r.batch_size, ${FLAGS.map((f) => `r.${f}`).join(', ')},
            r.init_ms, r.first_run_ms, r.p50_latency_ms AS p50_ms, r.memory_peak_mb AS memory_mb,
            TRY_CAST(json_extract(r.metrics, '$.group_load_wall_ms') AS DOUBLE) AS group_load_ms,
            TRY_CAST(json_extract_string(tr.metadata, '$.order_seed') AS BIGINT) AS order_seed
     FROM performance_results r JOIN models m USING (model_id) JOIN hardware_platforms h USING (hardware_id)
     LEFT JOIN test_runs tr ON tr.run_id = r.run_id
     WHERE r.created_at >= ?::TIMESTAMP AND h.browser IS NOT NULL AND (?::VARCHAR IS NULL OR m.model_name = ?)
       AND (${FLAGS.map((f) => `r.${f} IS NOT NULL`).join(' OR ')})
     UNION ALL
     SELECT model_name, browser, backend, batch_size, ${FLAGS.join(', ')}, init_ms, first_run_ms, p50_ms, memory_mb,
            NULL::DOUBLE AS group_load_ms, NULL::BIGINT AS order_seed
     FROM measurements
     WHERE source = 'time_series' AND recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL AND (?::VARCHAR IS NULL OR model_name = ?)
       AND (${FLAGS.map((f) => `${f} IS NOT NULL`).join(' OR ')})`,
    [since, model ?? null, model ?? null, since, model ?? null, model ?? null],
  );
  return rows.map((r) => ({
    model: r.model_name as string,
    browser: r.browser as string,
    backend: r.backend as string,
    batchSize: r.batch_size as number,
    flags: Object.fromEntries(FLAGS.map((f) => [f, (r[f] as boolean | null) ?? null])) as Record<Flag, boolean | null>,
    values: Object.fromEntries(IMPACT_METRICS.map((x) => [x, (r[x] as number | null) ?? null])) as Record<ImpactMetric, number | null>,
    orderSeed: r.order_seed === null || r.order_seed === undefined ? null : Number(r.order_seed),
  }));
}
