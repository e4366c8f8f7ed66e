/**
 * Runs a planned sweep on real browsers: one pool per browser (one connection, no database recorder: the sweep
 * writes its own `performance_results`), sessions grouped per model x backend x precision x flags with one static-
 * shape session per batch size, warm-up, then measured iterations until the stability rule holds. Each finished
 * configuration is stored at once with its environment, so an interrupted sweep keeps what it measured.
 */
import type { Backend, BrowserKind } from '@browser-pool/browser-harness';
import { Dimensions, insertCompatibility, insertPerformance, mean, type PerformanceResult, quantile, stdev, type Store } from '@browser-pool/db-integration';
import type { ModelEntry } from '@browser-pool/models';
import type { ModelHandle, PoolOptions, ResourcePool } from '@browser-pool/pool';

import { createPool } from '../create-pool';
import { type BenchConfig, groupKey, PRECISION_BITS, variantName } from './config';
import type { PlannedRun } from './plan';
import { Progress } from './progress';
import { DEFAULT_STABILITY, type StabilityRule, stabilityVerdict } from './stability';

export interface RunnerOptions {
  /** Untimed runs after the first measured run and before measurement. @default 3 */
  warmupIterations?: number;
  /** @default DEFAULT_STABILITY */
  stability?: StabilityRule;
  /** Extra options of the pools the runner launches. @default {} */
  poolOptions?: PoolOptions;
  /** Progress lines. @default none */
  write?: (text: string) => void;
  /**
   * Run on this already initialized pool instead of launching one per browser (it must have that browser; the
   * runner does not close it). Lets a caller reuse a warm pool, and the benchmark compare like with like.
   * @default a fresh one-connection pool per browser
   */
  pool?: (browser: BrowserKind) => ResourcePool;
  /**
   * Stops the sweep between groups (Ctrl-C): finished groups stay stored, the run is closed as unsuccessful, and
   * `--missing-only` continues where it stopped. @default none
   */
  signal?: AbortSignal;
}

export type ConfigOutcome =
  | { config: BenchConfig; status: 'stored'; result: PerformanceResult }
  | { config: BenchConfig; status: 'failed'; code: string; message: string };

/** The knobs a configuration turns, as onnxruntime-web session options. */
export function sessionOptionsFor(config: BenchConfig) {
  return {
    graphOptimizationLevel: 'all' as const,
    freeDimensionOverrides: { batch: config.batchSize },
    ...(config.flags.computeShaderOptimized && config.backend === 'webgpu' ? { webgpu: { preferredLayout: 'NHWC' as const } } : {}),
  };
}

export async function runSweep(store: Store, plan: readonly PlannedRun[], options: RunnerOptions = {}): Promise<ConfigOutcome[]> {
  const runs = plan.filter((p) => p.action === 'run').map((p) => p.config);
  const dims = new Dimensions(store);
  const runId = await dims.startRun('bench sweep', 'benchmark', { configurations: runs.length });
  const progress = new Progress(runs.length, options.write ?? (() => undefined));
  const outcomes: ConfigOutcome[] = [];
  const stopped = (): boolean => options.signal?.aborted === true;
  try {
    for (const browser of [...new Set(runs.map((c) => c.browser))]) {
      if (stopped()) {
        break;
      }
      const given = options.pool?.(browser);
      const pool = given ?? (await createPool({
        dbPath: false,
        browsers: [browser],
        health: { knownAnswerIntervalMs: 0 },
        scaling: { maxConnections: 1, spareConnections: 0 },
        ...options.poolOptions,
      }));
      try {
        await pool.initialize();
        if (given === undefined) {
          await warmBackends(pool, [...new Set(runs.filter((r) => r.browser === browser).map((r) => r.backend))]);
        }
        const groups = new Map<string, BenchConfig[]>();
        for (const c of runs.filter((r) => r.browser === browser)) {
          groups.set(groupKey(c), [...(groups.get(groupKey(c)) ?? []), c]);
        }
        for (const group of groups.values()) {
          if (stopped()) {
            break;
          }
          const measured = await runGroup(pool, group, options);
          // one transaction per group: its results land together, and an interrupted sweep keeps finished groups
          await store.transaction(async () => {
            for (const outcome of measured) {
              await storeOutcome(store, dims, runId, outcome);
            }
          });
          for (const outcome of measured) {
            outcomes.push(outcome);
            const c = outcome.config;
            progress.step(`${c.model} ${c.precision} ${c.browser}/${c.backend} batch ${c.batchSize} ${Object.entries(c.flags).filter(([, on]) => on).map(([k]) => k).join('+')}: ${outcome.status === 'stored' ? `p50 ${outcome.result.p50_latency_ms?.toFixed(2)} ms` : outcome.code}`);
          }
        }
      } finally {
        if (given === undefined) {
          await pool.close();
        }
      }
    }
  } finally {
    await dims.endRun(runId, !stopped() && outcomes.every((o) => o.status === 'stored'));
  }
  return outcomes;
}

/**
 * Starts each backend's runtime (WASM module, WebGPU device) with the tiny identity model before anything is timed,
 * so the first group measured in a fresh browser does not pay one-time costs the others do not.
 */
async function warmBackends(pool: ResourcePool, backends: readonly Backend[]): Promise<void> {
  const entry = pool.options.catalogue.get('identity');
  for (const backend of backends) {
    try {
      const handle = await pool.getModel(entry.modelType, entry.name, { backends: [backend] });
      await handle.run(entry.sampleInputs());
      await handle.release();
    } catch {
      // the group's own load reports this backend's failure with its code
    }
  }
}

interface Loaded {
  config: BenchConfig;
  handle: ModelHandle | undefined;
  error: { code: string; message: string } | undefined;
}

/** Loads the group's sessions (concurrently with parallel loading, else in order), then measures each. */
async function runGroup(pool: ResourcePool, group: readonly BenchConfig[], options: RunnerOptions): Promise<ConfigOutcome[]> {
  const first = group[0]!;
  const entry = pool.options.catalogue.get(variantName(first.model, first.precision));
  const load = async (config: BenchConfig): Promise<Loaded> => {
    try {
      const handle = await pool.getModel(entry.modelType, entry.name, { backends: [config.backend], sessionOptions: sessionOptionsFor(config) });
      return { config, handle, error: undefined };
    } catch (error) {
      return { config, handle: undefined, error: errorOf(error) };
    }
  };
  const t0 = performance.now();
  const loaded = first.flags.parallelLoading ? await Promise.all(group.map(load)) : await sequential(group, load);
  const groupLoadMs = performance.now() - t0;
  const outcomes: ConfigOutcome[] = [];
  for (const l of loaded) {
    if (l.handle === undefined) {
      outcomes.push({ config: l.config, status: 'failed', ...(l.error ?? { code: 'E_UNKNOWN', message: 'load failed' }) });
      continue;
    }
    try {
      outcomes.push({ config: l.config, status: 'stored', result: await measure(l.handle, entry, l.config, { groupLoadMs, groupSessions: group.length }, options) });
    } catch (error) {
      outcomes.push({ config: l.config, status: 'failed', ...errorOf(error) });
    } finally {
      await l.handle.release();
    }
  }
  return outcomes;
}

async function sequential<T, R>(items: readonly T[], fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) {
    out.push(await fn(item));
  }
  return out;
}

function errorOf(error: unknown): { code: string; message: string } {
  const e = error as { code?: unknown; message?: unknown };
  return { code: typeof e.code === 'string' ? e.code : 'E_UNKNOWN', message: typeof e.message === 'string' ? e.message : String(error) };
}

async function measure(handle: ModelHandle, entry: ModelEntry, config: BenchConfig, group: { groupLoadMs: number; groupSessions: number }, options: RunnerOptions): Promise<PerformanceResult> {
  const rule = options.stability ?? DEFAULT_STABILITY;
  const warmup = options.warmupIterations ?? 3;
  const inputs = entry.sampleInputs({ batch: config.batchSize });
  let precompileMs: number | undefined;
  if (config.flags.precompileShaders) {
    precompileMs = (await handle.run(inputs)).timings.endToEndMs;
  }
  const firstRunMs = (await handle.run(inputs)).timings.endToEndMs;
  for (let i = 0; i < warmup; i++) {
    await handle.run(inputs);
  }
  const samples: number[] = [];
  const compute: number[] = [];
  let verdict = stabilityVerdict(samples, rule);
  const start = performance.now();
  while (!verdict.done) {
    const r = await handle.run(inputs);
    samples.push(r.timings.endToEndMs);
    compute.push(r.timings.computeMs);
    verdict = stabilityVerdict(samples, rule);
  }
  const wallS = (performance.now() - start) / 1000;
  const p = handle.placement;
  const gpu = p.backend === 'webgpu' && p.adapter?.available === true ? p.adapter.adapter : undefined;
  const initMs = handle.loadTimings.createMs + (precompileMs ?? 0);
  return {
    model_name: entry.name,
    model_type: entry.modelType,
    browser: p.browser,
    browser_version: p.browserVersion,
    backend: p.backend,
    requested_backend: config.backend,
    ...(gpu === undefined ? {} : { adapter_vendor: gpu.vendor, adapter_architecture: gpu.architecture }),
    is_simulated: !p.isRealHardware,
    ...(p.softwareReason === undefined ? {} : { simulation_reason: p.softwareReason }),
    batch_size: config.batchSize,
    precision: config.precision,
    warmup_iterations: warmup + (precompileMs === undefined ? 0 : 1),
    iterations: samples.length,
    mean_latency_ms: mean(samples),
    p50_latency_ms: quantile(samples, 0.5),
    p90_latency_ms: quantile(samples, 0.9),
    p99_latency_ms: quantile(samples, 0.99),
    stdev_latency_ms: stdev(samples),
    throughput_items_per_s: (config.batchSize * samples.length) / wallS,
    init_ms: initMs,
    first_run_ms: firstRunMs,
    compute_shader_optimized: config.flags.computeShaderOptimized,
    precompile_shaders: config.flags.precompileShaders,
    parallel_loading: config.flags.parallelLoading,
    mixed_precision: config.precision !== 'fp32',
    precision_bits: PRECISION_BITS[config.precision],
    created_at: new Date().toISOString(),
    metrics: {
      compute_p50_ms: quantile(compute, 0.5),
      stable: verdict.stable,
      stability_change_pct: Number.isFinite(verdict.changePct) ? verdict.changePct : null,
      time_to_first_result_ms: initMs + firstRunMs,
      session_create_ms: handle.loadTimings.createMs,
      precompile_run_ms: precompileMs ?? null,
      group_load_wall_ms: group.groupLoadMs,
      group_sessions: group.groupSessions,
      samples_ms: samples.map((s) => Math.round(s * 1000) / 1000),
      session_options: sessionOptionsFor(config),
    },
  };
}

async function storeOutcome(store: Store, dims: Dimensions, runId: number, outcome: ConfigOutcome): Promise<void> {
  const c = outcome.config;
  if (outcome.status === 'stored') {
    const r = outcome.result;
    await insertPerformance(store, [r], runId, dims);
    await insertCompatibility(store, [{ ...placementOf(r), is_compatible: true, detected_at: r.created_at }], runId, dims);
    return;
  }
  await insertCompatibility(store, [{
    model_name: variantName(c.model, c.precision),
    browser: c.browser,
    backend: c.backend,
    is_simulated: false,
    is_compatible: false,
    error_code: outcome.code,
    error_message: outcome.message.slice(0, 5000),
  }], runId, dims);
}

function placementOf(r: PerformanceResult) {
  const { model_name, model_type, browser, browser_version, backend, adapter_vendor, adapter_architecture, is_simulated, simulation_reason } = r;
  return { model_name, model_type, browser, browser_version, backend, adapter_vendor, adapter_architecture, is_simulated, simulation_reason };
}
