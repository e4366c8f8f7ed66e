/**
 * Impact of each optimization flag: for every configuration (model x browser x backend x batch) measured with the
 * flag on and off, the ratio on/off of the medians of init, first-run and steady latency and memory, with a 95 %
 * bootstrap interval. A ratio below 1 is an improvement; an interval containing 1 means no measurable effect.
 */
import { sqlTimestamp, type Store } from '../store/store';
import { bootstrapInterval, median } from './stats';

export const FLAGS = ['compute_shader_optimized', 'precompile_shaders', 'parallel_loading', 'mixed_precision'] as const;
export type Flag = (typeof FLAGS)[number];
export const IMPACT_METRICS = ['init_ms', 'first_run_ms', 'p50_ms', 'memory_mb'] as const;
export type ImpactMetric = (typeof IMPACT_METRICS)[number];

export interface FlagImpact {
  flag: Flag;
  model: string;
  browser: string;
  backend: string;
  batchSize: number;
  metric: ImpactMetric;
  on: number;
  off: number;
  nOn: number;
  nOff: number;
  ratio: number;
  interval: [number, number];
}

export interface ImpactRow {
  model: string;
  browser: string;
  backend: string;
  batchSize: number;
  flags: Record<Flag, boolean | null>;
  values: Record<ImpactMetric, number | null>;
}

export function flagImpact(rows: readonly ImpactRow[]): FlagImpact[] {
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
      for (const metric of IMPACT_METRICS) {
        const on = g.on.map((r) => r.values[metric]).filter((v): v is number => v !== null && v > 0);
        const off = g.off.map((r) => r.values[metric]).filter((v): v is number => v !== null && v > 0);
        if (on.length === 0 || off.length === 0) {
          continue;
        }
        const ratio = (a: readonly number[], b: readonly number[]): number => median(a) / median(b);
        out.push({
          flag,
          model: first.model,
          browser: first.browser,
          backend: first.backend,
          batchSize: first.batchSize,
          metric,
          on: median(on),
          off: median(off),
          nOn: on.length,
          nOff: off.length,
          ratio: ratio(on, off),
          interval: bootstrapInterval(on, off, ratio, { iterations: 500 }),
        });
      }
    }
  }
  return out;
}

export async function loadImpactRows(store: Store, days = 30, model?: string): Promise<ImpactRow[]> {
  const rows = await store.all<Record<string, unknown>>(
    `SELECT model_name, browser, backend, batch_size, ${FLAGS.join(', ')}, ${IMPACT_METRICS.join(', ')}
     FROM measurements
     WHERE recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL AND (?::VARCHAR IS NULL OR model_name = ?)
       AND (${FLAGS.map((f) => `${f} IS NOT NULL`).join(' OR ')})`,
    [sqlTimestamp(new Date(Date.now() - days * 86_400_000)), model ?? null, model ?? null],
  );
  return rows.map((r) => ({
    model: r.model_name as string,
    browser: r.browser as string,
    backend: r.backend as string,
    batchSize: r.batch_size as number,
    flags: Object.fromEntries(FLAGS.map((f) => [f, (r[f] as boolean | null) ?? null])) as Record<Flag, boolean | null>,
    values: Object.fromEntries(IMPACT_METRICS.map((m) => [m, (r[m] as number | null) ?? null])) as Record<ImpactMetric, number | null>,
  }));
}
