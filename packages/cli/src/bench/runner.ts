/**
 * Runs a planned sweep on real browsers in the counterbalanced order of schedule.ts: each arm run (model x backend x
 * precision x flags, one static-shape session per batch size) in a fresh one-connection pool (its own browser and
 * page, no database recorder: the sweep writes its own `performance_results`), warm-up, then measured iterations
 * until the stability rule holds. Each finished arm run is stored at once with its environment and its place in the
 * order, so an interrupted sweep keeps what it measured.
 */
import { randomInt } from 'node:crypto';

import type { Backend, BrowserKind } from '@browser-pool/browser-harness';
import { Dimensions, insertCompatibility, insertPerformance, mean, type PerformanceResult, quantile, stdev, type Store } from '@browser-pool/db-integration';
import type { ModelEntry } from '@browser-pool/models';
import type { ModelHandle, PoolOptions, ResourcePool } from '@browser-pool/pool';

import { createPool } from '../create-pool';
import { type BenchConfig, PRECISION_BITS, variantName } from './config';
import { flagSetText } from './matrix-flags';
import type { PlannedRun } from './plan';
import { Progress } from './progress';
import { scheduleSweep } from './schedule';
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
  /**
   * Runs of each configuration, each stored as its own result. A flag comparison gets a verdict from
   * `MIN_RUNS_PER_ARM` (5) runs per arm; with fewer, `report optimization` says "too few runs". @default 1
   */
  repeats?: number;
  /**
   * Seed of the counterbalanced arm order (see schedule.ts); stored in `test_runs.metadata.order_seed` and each
   * result's `metrics.order`. @default a random integer
   */
  orderSeed?: number;
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
  const repeats = options.repeats ?? 1;
  const seed = options.orderSeed ?? randomInt(2 ** 31 - 1);
  const schedule = scheduleSweep(runs, { repeats, seed });
  const freshPage = options.pool === undefined;
  const dims = new Dimensions(store);
  const runId = await dims.startRun('bench sweep', 'benchmark', {
    configurations: runs.length,
    repeats,
    order_seed: seed,
    isolation: freshPage ? 'fresh browser and page per arm run' : 'caller pool (shared page)',
  });
  const progress = new Progress(schedule.reduce((n, a) => n + a.group.length, 0), options.write ?? (() => undefined));
  const outcomes: ConfigOutcome[] = [];
  const stopped = (): boolean => options.signal?.aborted === true;
  try {
    for (const arm of schedule) {
      if (stopped()) {
        break;
      }
      const { browser, backend } = arm.group[0]!;
      const given = options.pool?.(browser);
      // a fresh browser per arm run: cold-start metrics (init, first run) of one arm never inherit the caches,
      // compiled WASM or shader pipelines another arm left behind
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
          await warmBackends(pool, [backend]);
        }
        const order: ArmOrder = { seed, repetition: arm.repetition, position: arm.position, arms: arm.arms, fresh_page: freshPage };
        const measured = await runGroup(pool, arm.group, options, order);
        // one transaction per arm run: its results land together, and an interrupted sweep keeps finished ones
        await store.transaction(async () => {
          for (const outcome of measured) {
            await storeOutcome(store, dims, runId, outcome);
          }
        });
        for (const outcome of measured) {
          outcomes.push(outcome);
          const c = outcome.config;
          progress.step(`${c.model} ${c.precision} ${c.browser}/${c.backend} batch ${c.batchSize} ${flagSetText(c.flags)} run ${arm.repetition + 1}/${repeats}: ${outcome.status === 'stored' ? `p50 ${outcome.result.p50_latency_ms?.toFixed(2)} ms` : outcome.code}`);
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

/** Where an arm run sat in the sweep's order, stored in each result's `metrics.order`. */
interface ArmOrder {
  seed: number;
  repetition: number;
  position: number;
  arms: number;
  /** The arm ran in a browser and page of its own (false: a caller's shared pool). */
  fresh_page: boolean;
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
async function runGroup(pool: ResourcePool, group: readonly BenchConfig[], options: RunnerOptions, order: ArmOrder): Promise<ConfigOutcome[]> {
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
      outcomes.push({ config: l.config, status: 'failed', ...(l.error ?? { code: 'E_INTERNAL', message: 'load failed' }) });
      continue;
    }
    try {
      outcomes.push({ config: l.config, status: 'stored', result: await measure(l.handle, entry, l.config, { groupLoadMs, groupSessions: group.length, order }, options) });
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
  return { code: typeof e.code === 'string' ? e.code : 'E_INTERNAL', message: typeof e.message === 'string' ? e.message : String(error) };
}

async function measure(handle: ModelHandle, entry: ModelEntry, config: BenchConfig, group: { groupLoadMs: number; groupSessions: number; order: ArmOrder }, options: RunnerOptions): Promise<PerformanceResult> {
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
      order: { ...group.order },
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
