/**
 * Stores validated external results (REST, import, sweeps) in the benchmark tables. Each row gets a content key
 * (`dedupe_key`, unique): a row sent twice is stored once, and the call says how many were new. Callers choose the
 * transaction (import: one per file).
 */
import { createHash } from 'node:crypto';

import { Dimensions, type HardwareDescriptor } from '../store/dimensions';
import { type Param, sqlTimestamp, type Store } from '../store/store';
import type { CompatibilityResult, IntegrationResult, PerformanceResult } from './result-schemas';

export interface InsertOutcome {
  inserted: number;
  duplicates: number;
}

/** Rows per INSERT statement: large enough to amortize parsing, small enough to keep parameter lists modest. */
const CHUNK = 250;

/** A stable content key: the row's JSON with keys sorted. */
export function dedupeKey(kind: string, row: object): string {
  const sorted = JSON.stringify(row, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
  return createHash('sha256').update(kind).update(sorted).digest('hex').slice(0, 32);
}

function hardwareOf(r: Pick<PerformanceResult, 'browser' | 'browser_version' | 'backend' | 'adapter_vendor' | 'adapter_architecture' | 'is_simulated' | 'simulation_reason' | 'host'>): HardwareDescriptor {
  return {
    browser: r.browser,
    browserVersion: r.browser_version,
    backend: r.backend,
    adapterVendor: r.adapter_vendor,
    adapterArchitecture: r.adapter_architecture,
    isRealHardware: !r.is_simulated,
    softwareReason: r.simulation_reason,
    host: r.host,
  };
}

const when = (iso: string | undefined, fallback: Date): string => sqlTimestamp(iso === undefined ? fallback : new Date(iso));

async function insertRows(store: Store, table: string, idColumn: string, columns: readonly string[], rows: Param[][], castTimestamp: string): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const first = await store.nextId(table, idColumn, chunk.length);
    const tuple = `(${columns.map((c) => (c === castTimestamp ? '?::TIMESTAMP' : '?')).join(', ')})`;
    const returned = await store.all(
      `INSERT INTO ${table} (${idColumn}, ${columns.join(', ')}) VALUES ${chunk.map(() => `(?, ${tuple.slice(1)}`).join(', ')} ON CONFLICT (dedupe_key) DO NOTHING RETURNING ${idColumn}`,
      chunk.flatMap((row, j) => [first + j, ...row]),
    );
    inserted += returned.length;
  }
  return inserted;
}

const PERFORMANCE_COLUMNS = [
  'run_id', 'model_id', 'hardware_id', 'batch_size', 'precision', 'sequence_length', 'requested_backend', 'warmup_iterations',
  'iterations', 'mean_latency_ms', 'p50_latency_ms', 'p90_latency_ms', 'p99_latency_ms', 'stdev_latency_ms',
  'throughput_items_per_s', 'memory_peak_mb', 'init_ms', 'first_run_ms', 'compute_shader_optimized', 'precompile_shaders',
  'parallel_loading', 'mixed_precision', 'precision_bits', 'is_simulated', 'simulation_reason', 'created_at', 'metrics', 'dedupe_key',
] as const;

export async function insertPerformance(store: Store, results: readonly PerformanceResult[], runId: number | null, dims = new Dimensions(store)): Promise<InsertOutcome> {
  const now = new Date();
  const rows: Param[][] = [];
  for (const r of results) {
    const modelId = await dims.modelId({ name: r.model_name, type: r.model_type });
    const hardwareId = await dims.hardwareId(hardwareOf(r));
    rows.push([
      runId, modelId, hardwareId, r.batch_size, r.precision ?? null, r.sequence_length ?? null, r.requested_backend ?? r.backend,
      r.warmup_iterations ?? null, r.iterations ?? null, r.mean_latency_ms ?? null, r.p50_latency_ms ?? null, r.p90_latency_ms ?? null,
      r.p99_latency_ms ?? null, r.stdev_latency_ms ?? null, r.throughput_items_per_s ?? null, r.memory_peak_mb ?? null, r.init_ms ?? null,
      r.first_run_ms ?? null, r.compute_shader_optimized ?? null, r.precompile_shaders ?? null, r.parallel_loading ?? null,
      r.mixed_precision ?? null, r.precision_bits ?? null, r.is_simulated, r.simulation_reason ?? null, when(r.created_at, now),
      r.metrics === undefined ? null : JSON.stringify(r.metrics), dedupeKey('performance', r),
    ]);
  }
  const inserted = await insertRows(store, 'performance_results', 'result_id', PERFORMANCE_COLUMNS, rows, 'created_at');
  return { inserted, duplicates: results.length - inserted };
}

const COMPATIBILITY_COLUMNS = ['run_id', 'model_id', 'hardware_id', 'is_compatible', 'error_code', 'error_message', 'detected_at', 'dedupe_key'] as const;

export async function insertCompatibility(store: Store, results: readonly CompatibilityResult[], runId: number | null, dims = new Dimensions(store)): Promise<InsertOutcome> {
  const now = new Date();
  const rows: Param[][] = [];
  for (const r of results) {
    const modelId = await dims.modelId({ name: r.model_name, type: r.model_type });
    const hardwareId = await dims.hardwareId(hardwareOf(r));
    rows.push([runId, modelId, hardwareId, r.is_compatible, r.error_code ?? null, r.error_message ?? null, when(r.detected_at, now), dedupeKey('compatibility', r)]);
  }
  const inserted = await insertRows(store, 'hardware_compatibility', 'compat_id', COMPATIBILITY_COLUMNS, rows, 'detected_at');
  return { inserted, duplicates: results.length - inserted };
}

const INTEGRATION_COLUMNS = ['run_id', 'test_module', 'test_class', 'test_name', 'status', 'execution_time_s', 'model_id', 'error_message', 'created_at', 'metadata', 'dedupe_key'] as const;

export async function insertIntegration(store: Store, results: readonly IntegrationResult[], runId: number | null, dims = new Dimensions(store)): Promise<InsertOutcome> {
  const now = new Date();
  const rows: Param[][] = [];
  for (const r of results) {
    const modelId = r.model_name === undefined ? null : await dims.modelId({ name: r.model_name });
    rows.push([
      runId, r.test_module, r.test_class ?? null, r.test_name, r.status, r.execution_time_s ?? null, modelId, r.error_message ?? null,
      when(r.created_at, now), r.metadata === undefined ? null : JSON.stringify(r.metadata), dedupeKey('integration', r),
    ]);
  }
  const inserted = await insertRows(store, 'integration_test_results', 'test_result_id', INTEGRATION_COLUMNS, rows, 'created_at');
  return { inserted, duplicates: results.length - inserted };
}
