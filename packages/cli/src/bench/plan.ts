/**
 * The incremental planner: which configurations of a sweep run now. A configuration is skipped when its browser or
 * backend does not exist here, when it has no variant at that precision, when a flag cannot apply to its backend,
 * and, with `missingOnly`, when a stored result is fresh enough (`refreshOlderThanDays`). Pure: stored results and
 * availability come in as arguments.
 */
import type { Backend, BrowserKind } from '@browser-pool/browser-harness';
import { renderCsv, type Store } from '@browser-pool/db-integration';

import { type BenchConfig, configCsvCells, configKey, CSV_HEADER, type Precision } from './config';

export interface PlanOptions {
  /** Skip configurations that already have a stored result. @default false (true when refreshOlderThanDays is set) */
  missingOnly?: boolean;
  /**
   * A stored result older than this many days is re-run, a fresher one skipped. Setting it implies `missingOnly`:
   * a refresh age only means something when fresh results are skipped. @default never stale
   */
  refreshOlderThanDays?: number;
  /** Only configurations marked priority. @default false */
  priorityOnly?: boolean;
  /** @default new Date() */
  now?: Date;
}

export interface PlanInputs {
  /** Latest stored result time per config key. */
  stored: ReadonlyMap<string, Date>;
  /** browser|backend -> why it cannot run (absent: it can). */
  unavailable: ReadonlyMap<string, string>;
  /** Whether the catalogue has `model` at `precision`. */
  hasVariant: (model: string, precision: Precision) => boolean;
  /**
   * Why the variant computes wrong values on `backend` (it hits a KNOWN_WRONG_KERNELS case), else undefined: a speed
   * figure for it would mislead, so it is skipped. @default nothing is known wrong
   */
  knownWrong?: (model: string, precision: Precision, backend: Backend) => string | undefined;
}

export type PlannedRun =
  | { config: BenchConfig; action: 'run'; reason: string }
  | { config: BenchConfig; action: 'skip'; reason: string };

export const availabilityKey = (browser: BrowserKind, backend: Backend): string => `${browser}|${backend}`;

export function planSweep(configs: readonly BenchConfig[], inputs: PlanInputs, options: PlanOptions = {}): PlannedRun[] {
  const now = options.now ?? new Date();
  const seen = new Set<string>();
  const out: PlannedRun[] = [];
  for (const config of configs) {
    const key = configKey(config);
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    const skip = (reason: string): void => {
      out.push({ config, action: 'skip', reason });
    };
    if (options.priorityOnly === true && !config.priority) {
      skip('not a priority configuration');
      continue;
    }
    const missing = inputs.unavailable.get(availabilityKey(config.browser, config.backend));
    if (missing !== undefined) {
      skip(`unavailable here: ${missing}`);
      continue;
    }
    if (!inputs.hasVariant(config.model, config.precision)) {
      skip(`no ${config.precision} variant of ${config.model} in the catalogue`);
      continue;
    }
    const wrong = inputs.knownWrong?.(config.model, config.precision, config.backend);
    if (wrong !== undefined) {
      skip(wrong);
      continue;
    }
    if (config.flags.computeShaderOptimized && config.backend !== 'webgpu') {
      skip(`compute-shader options apply to the WebGPU EP only; no effect on ${config.backend}`);
      continue;
    }
    const last = inputs.stored.get(key);
    if ((options.missingOnly === true || options.refreshOlderThanDays !== undefined) && last !== undefined) {
      const ageDays = (now.getTime() - last.getTime()) / 86_400_000;
      if (options.refreshOlderThanDays === undefined || ageDays <= options.refreshOlderThanDays) {
        skip(`stored ${last.toISOString()} (${ageDays.toFixed(1)} days old)`);
        continue;
      }
      out.push({ config, action: 'run', reason: `stale: stored ${ageDays.toFixed(1)} days ago` });
      continue;
    }
    out.push({ config, action: 'run', reason: last === undefined ? 'no stored result' : 'run again (not --missing-only)' });
  }
  return out;
}

/** Latest stored benchmark result per configuration key. */
export async function storedResults(store: Store): Promise<Map<string, Date>> {
  const rows = await store.all<{ model_name: string; browser: string; backend: string; batch_size: number; precision: string | null; cs: boolean | null; pc: boolean | null; pl: boolean | null; last: Date }>(
    `SELECT m.model_name, h.browser, coalesce(r.requested_backend, h.backend) AS backend, r.batch_size, r.precision,
            r.compute_shader_optimized AS cs, r.precompile_shaders AS pc, r.parallel_loading AS pl, max(r.created_at) AS last
     FROM performance_results r JOIN models m USING (model_id) JOIN hardware_platforms h USING (hardware_id)
     GROUP BY ALL`,
  );
  const out = new Map<string, Date>();
  for (const r of rows) {
    // a variant is stored under its catalogue name (bert-tiny-int8); the config names the base model + precision
    const precision = (r.precision ?? 'fp32') as Precision;
    const model = precision === 'fp32' ? r.model_name : r.model_name.replace(new RegExp(`-${precision}$`), '');
    const key = configKey({
      model,
      browser: r.browser as BrowserKind,
      backend: r.backend as Backend,
      batchSize: r.batch_size,
      precision,
      flags: { computeShaderOptimized: r.cs === true, precompileShaders: r.pc === true, parallelLoading: r.pl === true },
    });
    const prev = out.get(key);
    if (prev === undefined || prev < r.last) {
      out.set(key, r.last);
    }
  }
  return out;
}

export function planCsv(plan: readonly PlannedRun[]): string {
  return renderCsv({ title: 'plan', headers: [...CSV_HEADER, 'action', 'reason'], rows: plan.map((p) => [...configCsvCells(p.config), p.action, p.reason]) });
}
