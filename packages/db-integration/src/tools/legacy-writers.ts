/**
 * Writers for the rows only legacy files bring (power, availability, the old pool's per-inference rows), with the
 * same content keys as results.ts: a row that arrives twice is stored once.
 */
import { Dimensions } from '../store/dimensions';
import type { Param, Store } from '../store/store';
import type { AvailabilityResult, InferenceResult, PowerResult } from './legacy/schemas';
import { dedupeKey, hardwareOf, type InsertOutcome, insertRows, when } from './results';

const json = (v: object | undefined): string | null => (v === undefined ? null : JSON.stringify(v));

const POWER_COLUMNS = [
  'run_id', 'model_id', 'hardware_id', 'power_watts_avg', 'power_watts_peak', 'energy_joules', 'temperature_c', 'temperature_c_peak', 'battery_impact_mah',
  'duration_s', 'estimated_runtime_hours', 'energy_efficiency_items_per_joule', 'source', 'recorded_at', 'metadata', 'dedupe_key',
] as const;

export async function insertPower(store: Store, results: readonly PowerResult[], runId: number | null, dims = new Dimensions(store)): Promise<InsertOutcome> {
  const now = new Date();
  const rows: Param[][] = [];
  for (const r of results) {
    const modelId = await dims.modelId({ name: r.model_name, type: r.model_type });
    const hardwareId = await dims.hardwareId(hardwareOf(r));
    rows.push([
      runId, modelId, hardwareId, r.power_watts_avg ?? null, r.power_watts_peak ?? null, r.energy_joules ?? null, r.temperature_c ?? null,
      r.temperature_c_peak ?? null, r.battery_impact_mah ?? null, r.duration_s ?? null, r.estimated_runtime_hours ?? null,
      r.energy_efficiency_items_per_joule ?? null, r.source, when(r.recorded_at, now), json(r.metadata), dedupeKey('power', r),
    ]);
  }
  const inserted = await insertRows(store, 'power_metrics', 'power_id', POWER_COLUMNS, rows);
  return { inserted, duplicates: results.length - inserted };
}

const AVAILABILITY_COLUMNS = ['checked_at', 'run_id', 'browser', 'browser_version', 'backend', 'available', 'is_real_hardware', 'reason', 'details', 'dedupe_key'] as const;

export async function insertAvailability(store: Store, results: readonly AvailabilityResult[], runId: number | null): Promise<InsertOutcome> {
  const now = new Date();
  const rows: Param[][] = results.map((r) => [
    when(r.checked_at, now), runId, r.browser, r.browser_version ?? null, r.backend, r.available, r.is_real_hardware ?? null, r.reason ?? null, json(r.details),
    dedupeKey('availability', r),
  ]);
  const inserted = await insertRows(store, 'hardware_availability_log', 'log_id', AVAILABILITY_COLUMNS, rows);
  return { inserted, duplicates: results.length - inserted };
}

const INFERENCE_COLUMNS = [
  'recorded_at', 'run_id', 'model_name', 'model_type', 'connection_id', 'browser', 'requested_backend', 'backend', 'batch_size', 'success', 'error_message',
  'compute_ms', 'end_to_end_ms', 'is_real_hardware', 'is_simulated', 'simulation_reason', 'adapter_vendor', 'adapter_architecture',
  'compute_shader_optimized', 'precompile_shaders', 'parallel_loading', 'mixed_precision', 'precision_bits', 'metadata', 'dedupe_key',
] as const;

/** The old pool's rows go where this pool records its own inferences; `run_id` is the import's run. */
export async function insertInferences(store: Store, results: readonly InferenceResult[], runId: number): Promise<InsertOutcome> {
  const now = new Date();
  const rows: Param[][] = results.map((r) => [
    when(r.recorded_at, now), runId, r.model_name, r.model_type, r.connection_id ?? null, r.browser ?? null, r.requested_backend, r.backend ?? null,
    r.batch_size, r.success, r.error_message ?? null, r.compute_ms ?? null, r.end_to_end_ms ?? null, r.is_real_hardware, r.is_simulated,
    r.simulation_reason ?? null, r.adapter_vendor ?? null, r.adapter_architecture ?? null, r.compute_shader_optimized ?? null, r.precompile_shaders ?? null,
    r.parallel_loading ?? null, r.mixed_precision ?? null, r.precision_bits ?? null, json(r.metadata), dedupeKey('inference', r),
  ]);
  const inserted = await insertRows(store, 'webnn_webgpu_performance', 'id', INFERENCE_COLUMNS, rows);
  return { inserted, duplicates: results.length - inserted };
}
