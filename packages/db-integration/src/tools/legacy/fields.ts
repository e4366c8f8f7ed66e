/**
 * Field names of the old system (its tables' columns, `store_performance_result` keywords, result dicts) and the
 * columns they land in, with value coercion (numbers and booleans written as strings, Python timestamps, epoch
 * seconds). `mapFields` also returns what it did not use, so nothing is dropped without being named.
 */
import { NonFinite } from './python-json';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof NonFinite);

/** Spellings shared by every kind: first present wins. */
export const COMMON: Record<string, readonly string[]> = {
  model_name: ['model_name', 'model', 'modelName'],
  model_type: ['model_type', 'modelType', 'task', 'modality'],
  browser: ['browser', 'browser_name', 'browserName'],
  browser_version: ['browser_version', 'browserVersion'],
  backend: ['hardware_type', 'backend', 'hardware', 'platform', 'device', 'execution_provider'],
  host: ['host', 'hostname', 'machine'],
  simulation_reason: ['simulation_reason'],
};

/** The old simulation flags; any of them saying "not real" makes a row simulated. */
export const SIMULATION_FLAGS = ['is_simulated', 'is_simulation', 'simulated', 'simulation_mode', 'is_real_hardware'] as const;

/** Times: the file's own, never the import's. */
export const TIME = ['created_at', 'timestamp', 'test_timestamp', 'detected_at', 'last_tested', 'checked_at', 'run_date', 'started_at', 'date', 'time', 'test_date'];

export const PERFORMANCE: Record<string, readonly string[]> = {
  ...COMMON,
  requested_backend: ['requested_backend'],
  adapter_vendor: ['adapter_vendor'],
  adapter_architecture: ['adapter_architecture'],
  batch_size: ['batch_size', 'batchSize', 'batch'],
  precision: ['precision', 'dtype'],
  sequence_length: ['sequence_length', 'seq_len', 'sequenceLength'],
  iterations: ['iterations', 'num_iterations', 'runs', 'samples'],
  warmup_iterations: ['warmup_iterations', 'warmup', 'warmup_runs'],
  mean_latency_ms: ['mean_latency_ms', 'average_latency_ms', 'latency_avg', 'avg_latency_ms', 'latency_mean', 'latency_ms', 'latency', 'avg_inference_time_ms', 'inference_time_ms'],
  p50_latency_ms: ['p50_latency_ms', 'latency_p50', 'median_latency_ms', 'latency_p50_ms'],
  p90_latency_ms: ['p90_latency_ms', 'latency_p90', 'latency_p90_ms'],
  p99_latency_ms: ['p99_latency_ms', 'latency_p99', 'latency_p99_ms'],
  stdev_latency_ms: ['stdev_latency_ms', 'std_latency_ms', 'latency_std'],
  throughput_items_per_s: ['throughput_items_per_s', 'throughput_items_per_second', 'throughput', 'items_per_second', 'samples_per_second'],
  memory_peak_mb: ['memory_peak_mb', 'memory_peak', 'peak_memory_mb', 'memory_mb', 'memory_usage_mb', 'memory_usage', 'memory'],
  init_ms: ['init_ms', 'initialization_time_ms', 'load_time_ms'],
  first_run_ms: ['first_run_ms', 'first_inference_ms'],
  compute_shader_optimized: ['compute_shader_optimized', 'compute_shaders'],
  precompile_shaders: ['precompile_shaders', 'shader_precompilation'],
  parallel_loading: ['parallel_loading'],
  mixed_precision: ['mixed_precision'],
  precision_bits: ['precision_bits', 'bits'],
  created_at: TIME,
  metrics: ['metrics'],
};

export const COMPATIBILITY: Record<string, readonly string[]> = {
  ...COMMON,
  is_compatible: ['is_compatible', 'compatible', 'supported'],
  compatibility_status: ['compatibility_status'],
  compatibility_score: ['compatibility_score'],
  recommended: ['recommended'],
  error_code: ['error_code'],
  error_type: ['error_type'],
  error_message: ['error_message', 'error'],
  detection_success: ['detection_success'],
  initialization_success: ['initialization_success'],
  detected_at: TIME,
};

export const INTEGRATION: Record<string, readonly string[]> = {
  model_name: COMMON.model_name ?? [],
  browser: COMMON.browser ?? [],
  backend: COMMON.backend ?? [],
  host: COMMON.host ?? [],
  test_module: ['test_module', 'module'],
  test_class: ['test_class', 'class'],
  test_name: ['test_name', 'name', 'test'],
  status: ['status', 'result', 'outcome'],
  execution_time_s: ['execution_time_s', 'execution_time', 'execution_time_seconds', 'duration_s', 'duration'],
  error_message: ['error_message', 'error'],
  created_at: TIME,
};

export const POWER: Record<string, readonly string[]> = {
  ...COMMON,
  power_watts_avg: ['power_watts_avg', 'power_watts', 'power_avg_watts'],
  power_watts_peak: ['power_watts_peak', 'power_peak_watts'],
  energy_joules: ['energy_joules'],
  temperature_c: ['temperature_c', 'temperature_celsius_avg', 'temperature_celsius', 'temperature'],
  temperature_c_peak: ['temperature_c_peak', 'temperature_celsius_peak'],
  battery_impact_mah: ['battery_impact_mah'],
  duration_s: ['duration_s', 'test_duration_seconds'],
  estimated_runtime_hours: ['estimated_runtime_hours'],
  energy_efficiency_items_per_joule: ['energy_efficiency_items_per_joule'],
  source: ['source'],
  recorded_at: TIME,
};

export const AVAILABILITY: Record<string, readonly string[]> = {
  browser: COMMON.browser ?? [],
  browser_version: COMMON.browser_version ?? [],
  backend: COMMON.backend ?? [],
  available: ['available', 'is_available'],
  reason: ['reason', 'unavailable_reason', 'error', 'error_message'],
  checked_at: TIME,
};

export const INFERENCE: Record<string, readonly string[]> = {
  recorded_at: TIME,
  connection_id: ['connection_id'],
  model_name: COMMON.model_name ?? [],
  model_type: COMMON.model_type ?? [],
  browser: COMMON.browser ?? [],
  requested_backend: ['requested_backend', 'platform', 'backend', 'hardware_type'],
  batch_size: ['batch_size'],
  error_message: ['error_message', 'error'],
  compute_ms: ['compute_ms', 'inference_time_ms'],
  end_to_end_ms: ['end_to_end_ms', 'latency_ms'],
  simulation_reason: ['simulation_reason'],
  compute_shader_optimized: ['compute_shader_optimized'],
  precompile_shaders: ['precompile_shaders'],
  parallel_loading: ['parallel_loading'],
  mixed_precision: ['mixed_precision'],
  precision_bits: ['precision_bits'],
};

const BOOLEAN_COLUMNS = new Set(['is_compatible', 'recommended', 'detection_success', 'initialization_success', 'available', 'compute_shader_optimized', 'precompile_shaders', 'parallel_loading', 'mixed_precision', 'success']);
const TEXT_COLUMNS = new Set(['model_name', 'model_type', 'browser', 'browser_version', 'backend', 'requested_backend', 'host', 'precision', 'test_module', 'test_class', 'test_name', 'error_message', 'error_type', 'error_code', 'reason', 'connection_id', 'source', 'simulation_reason', 'adapter_vendor', 'adapter_architecture', 'compatibility_status', 'status']);
const TIME_COLUMNS = new Set(['created_at', 'detected_at', 'recorded_at', 'checked_at']);

/**
 * A legacy time as ISO 8601 UTC. Python writes naive times (`2025-03-01 12:34:56.123456`, no zone): they are read
 * as UTC, the old system's convention, with every fractional digit kept; dates alone are midnight UTC; numbers are
 * epoch seconds (or milliseconds when larger than 1e11).
 */
export function toIsoTime(value: unknown): unknown {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return new Date(value < 1e11 ? value * 1000 : value).toISOString();
  }
  if (typeof value !== 'string') {
    return value;
  }
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(value.trim());
  if (m === null) {
    return value; // the schema refuses it, naming the field
  }
  const [, day, hm = '00:00', sec = '00', frac, zone] = m;
  const fraction = frac === undefined ? '' : `.${frac.slice(0, 6)}`;
  if (zone === undefined || zone.toUpperCase() === 'Z' || /^[+-]00:?00$/.test(zone)) {
    return `${day}T${hm}:${sec}${fraction}Z`;
  }
  const date = new Date(`${day}T${hm}:${sec}${fraction.slice(0, 4)}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** One value for `column`: strings that are numbers or booleans become them, text columns stay text. */
export function coerce(column: string, value: unknown): unknown {
  if (TIME_COLUMNS.has(column)) {
    return toIsoTime(value);
  }
  if (BOOLEAN_COLUMNS.has(column)) {
    if (typeof value === 'string' && /^(true|yes|1|false|no|0)$/i.test(value.trim())) {
      return /^(true|yes|1)$/i.test(value.trim());
    }
    return value === 1 ? true : value === 0 ? false : value;
  }
  if (TEXT_COLUMNS.has(column)) {
    return typeof value === 'number' && column !== 'status' ? String(value) : value;
  }
  if (typeof value === 'string' && /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(value.trim())) {
    return Number(value);
  }
  return value;
}

export interface Mapped {
  row: Obj;
  /** Source field names the row used. */
  used: Set<string>;
  /** Columns whose source held NaN or Infinity (stored NULL), with the token. */
  nonFinite: Record<string, string>;
}

/** Columns of `aliases` filled from `record`; a NonFinite number leaves its column empty and is reported. */
export function mapFields(record: Obj, aliases: Record<string, readonly string[]>): Mapped {
  const row: Obj = {};
  const used = new Set<string>();
  const nonFinite: Record<string, string> = {};
  for (const [column, names] of Object.entries(aliases)) {
    for (const name of names) {
      const v = record[name];
      if (v === undefined || v === null) {
        continue;
      }
      used.add(name);
      if (v instanceof NonFinite) {
        nonFinite[column] = `${name}=${v.token}`;
      } else {
        row[column] = coerce(column, v);
      }
      break;
    }
  }
  return { row, used, nonFinite };
}
