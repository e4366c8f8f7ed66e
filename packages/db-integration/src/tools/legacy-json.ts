/**
 * Reads legacy benchmark result files: performance results, hardware compatibility and integration test results in
 * the shapes older tools wrote (a bare array, `{results: [...]}`, keyed sections, per-hardware maps) and the field
 * name variants they used. Pure: text in, validated records out, or an error naming the record and field.
 */
import { type z } from 'zod';

import { DbError, DbErrorCode } from '../errors';
import {
  type CompatibilityResult,
  compatibilityResultSchema,
  type IntegrationResult,
  integrationResultSchema,
  type PerformanceResult,
  performanceResultSchema,
} from './result-schemas';

export interface LegacyRecords {
  performance: PerformanceResult[];
  compatibility: CompatibilityResult[];
  integration: IntegrationResult[];
}

type Obj = Record<string, unknown>;

/** Each column's accepted spellings, first match wins. */
const ALIASES: Record<string, readonly string[]> = {
  model_name: ['model_name', 'model', 'modelName', 'model_id'],
  model_type: ['model_type', 'modelType', 'task', 'modality', 'model_family'],
  browser: ['browser', 'browser_name', 'browserName'],
  browser_version: ['browser_version', 'browserVersion'],
  backend: ['backend', 'hardware_type', 'hardware', 'platform', 'device', 'execution_provider'],
  batch_size: ['batch_size', 'batchSize', 'batch'],
  precision: ['precision', 'dtype'],
  sequence_length: ['sequence_length', 'seq_len', 'sequenceLength'],
  iterations: ['iterations', 'num_iterations', 'runs', 'samples'],
  warmup_iterations: ['warmup_iterations', 'warmup', 'warmup_runs'],
  mean_latency_ms: ['mean_latency_ms', 'average_latency_ms', 'avg_latency_ms', 'latency_ms', 'latency', 'inference_time_ms', 'avg_inference_time_ms'],
  p50_latency_ms: ['p50_latency_ms', 'latency_p50', 'median_latency_ms', 'latency_p50_ms'],
  p90_latency_ms: ['p90_latency_ms', 'latency_p90', 'latency_p90_ms'],
  p99_latency_ms: ['p99_latency_ms', 'latency_p99', 'latency_p99_ms'],
  stdev_latency_ms: ['stdev_latency_ms', 'std_latency_ms', 'latency_std'],
  throughput_items_per_s: ['throughput_items_per_s', 'throughput_items_per_second', 'throughput', 'items_per_second', 'samples_per_second'],
  memory_peak_mb: ['memory_peak_mb', 'memory_mb', 'memory_usage_mb', 'peak_memory_mb', 'memory'],
  init_ms: ['init_ms', 'initialization_time_ms', 'load_time_ms'],
  first_run_ms: ['first_run_ms', 'first_inference_ms'],
  is_simulated: ['is_simulated', 'simulated', 'simulation'],
  simulation_reason: ['simulation_reason'],
  compute_shader_optimized: ['compute_shader_optimized', 'compute_shaders'],
  precompile_shaders: ['precompile_shaders', 'shader_precompilation'],
  parallel_loading: ['parallel_loading'],
  mixed_precision: ['mixed_precision'],
  precision_bits: ['precision_bits', 'bits'],
  host: ['host', 'hostname', 'machine'],
  created_at: ['created_at', 'timestamp', 'date', 'time'],
  is_compatible: ['is_compatible', 'compatible', 'supported'],
  error_message: ['error_message', 'error'],
  error_code: ['error_code'],
  test_module: ['test_module', 'module'],
  test_class: ['test_class', 'class'],
  test_name: ['test_name', 'name', 'test'],
  status: ['status', 'result', 'outcome'],
  execution_time_s: ['execution_time_s', 'execution_time', 'duration_s', 'duration'],
};

const BACKENDS_IN_BROWSERS = new Set(['webgpu', 'webnn', 'wasm']);
const STATUS: Record<string, IntegrationResult['status']> = { pass: 'pass', passed: 'pass', ok: 'pass', success: 'pass', fail: 'fail', failed: 'fail', failure: 'fail', error: 'error', skip: 'skip', skipped: 'skip' };

function pick(record: Obj, column: string): unknown {
  for (const name of ALIASES[column] ?? [column]) {
    if (record[name] !== undefined && record[name] !== null) {
      return record[name];
    }
  }
  return undefined;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Numbers written as strings, timestamps as epoch seconds or ms, booleans as "true"/"yes". */
function coerce(column: string, value: unknown): unknown {
  if (column === 'created_at') {
    if (typeof value === 'number') {
      return new Date(value < 1e11 ? value * 1000 : value).toISOString();
    }
    if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) {
      return new Date(value).toISOString();
    }
    return value;
  }
  if (typeof value === 'string' && /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(value.trim())) {
    return Number(value);
  }
  if (typeof value === 'string' && ['is_simulated', 'is_compatible', 'compute_shader_optimized', 'precompile_shaders', 'parallel_loading', 'mixed_precision'].includes(column)) {
    return ['true', 'yes', '1'].includes(value.toLowerCase());
  }
  if (typeof value === 'string' && ['browser', 'backend'].includes(column)) {
    return value.toLowerCase();
  }
  return value;
}

function normalize(record: Obj, columns: readonly string[]): Obj {
  const out: Obj = {};
  for (const column of columns) {
    const v = pick(record, column);
    if (v !== undefined) {
      out[column] = coerce(column, v);
    }
  }
  return out;
}

/** Browser results name their browser; legacy native results (cpu, cuda...) did not run in one. */
function placeBrowser(out: Obj): void {
  if (out.browser === undefined && typeof out.backend === 'string') {
    out.browser = BACKENDS_IN_BROWSERS.has(out.backend) ? 'unknown' : 'native';
  }
}

const PERFORMANCE_COLUMNS = Object.keys(performanceResultSchema.shape);

function kindOf(record: Obj): keyof LegacyRecords | undefined {
  if (pick(record, 'is_compatible') !== undefined) {
    return 'compatibility';
  }
  if (pick(record, 'test_name') !== undefined && typeof pick(record, 'status') === 'string' && pick(record, 'throughput_items_per_s') === undefined) {
    return 'integration';
  }
  if (['mean_latency_ms', 'p50_latency_ms', 'throughput_items_per_s'].some((c) => pick(record, c) !== undefined)) {
    return 'performance';
  }
  return undefined;
}

/**
 * Flattens the container shapes into flat records: `[...]`, `{results: [...]}`, `{performance_results: [...], ...}`,
 * and `{model, results: {cpu: {...}, webgpu: {...}}}` (one record per hardware key, inheriting the outer fields).
 */
function flatten(value: unknown, inherited: Obj, out: Obj[]): void {
  if (Array.isArray(value)) {
    for (const v of value) {
      flatten(v, inherited, out);
    }
    return;
  }
  if (!isObj(value)) {
    return;
  }
  const own: Obj = {};
  const nested: [string, unknown][] = [];
  for (const [k, v] of Object.entries(value)) {
    if (Array.isArray(v) && v.some(isObj)) {
      nested.push([k, v]);
    } else if (isObj(v) && Object.values(v).some(isObj) && k !== 'metrics' && k !== 'metadata') {
      nested.push([k, v]);
    } else {
      own[k] = v;
    }
  }
  const here = { ...inherited, ...own };
  if (nested.length === 0 || kindOf(own) !== undefined) {
    out.push(here);
  }
  for (const [, v] of nested) {
    if (isObj(v) && Object.values(v).every(isObj)) {
      // `{cpu: {...}, cuda: {...}}`: each key names the hardware unless the record names its own
      for (const [hw, inner] of Object.entries(v)) {
        flatten(inner, { ...here, hardware: hw }, out);
      }
    } else {
      flatten(v, here, out);
    }
  }
}

/** Parses one file's text; throws `E_IMPORT_FORMAT` naming the first bad record (then nothing from the file is stored). */
export function parseLegacyJson(text: string): LegacyRecords {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DbError(DbErrorCode.ImportFormat, `not valid JSON: ${(error as Error).message}`);
  }
  const flat: Obj[] = [];
  flatten(parsed, {}, flat);
  const records: LegacyRecords = { performance: [], compatibility: [], integration: [] };
  flat.forEach((record, i) => {
    const kind = kindOf(record);
    if (kind === undefined) {
      return; // metadata blocks, summaries: not results
    }
    const where = `record ${i + 1} (${kind})`;
    if (kind === 'integration') {
      const n = normalize(record, ['test_module', 'test_class', 'test_name', 'status', 'execution_time_s', 'model_name', 'error_message', 'created_at']);
      n.status = STATUS[String(n.status).toLowerCase()] ?? n.status;
      n.test_module ??= 'legacy';
      records.integration.push(check(integrationResultSchema, n, where));
      return;
    }
    const columns = kind === 'compatibility' ? Object.keys(compatibilityResultSchema.shape) : PERFORMANCE_COLUMNS;
    const n = normalize(record, columns.filter((c) => c !== 'metrics'));
    placeBrowser(n);
    if (kind === 'performance') {
      n.batch_size ??= 1;
      records.performance.push(check(performanceResultSchema, n, where));
    } else {
      records.compatibility.push(check(compatibilityResultSchema, n, where));
    }
  });
  if (records.performance.length + records.compatibility.length + records.integration.length === 0) {
    throw new DbError(DbErrorCode.ImportFormat, 'no performance, compatibility or integration results found (expected fields such as model, hardware/browser, throughput or latency)');
  }
  return records;
}

function check<T extends z.ZodType>(schema: T, value: Obj, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new DbError(DbErrorCode.ImportFormat, `${where}: ${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}
