/**
 * One legacy record (a flat object, with the fields it inherited from its container) -> validated rows of this
 * database, by kind. Fields with no column are kept in the row's metadata column under their own names; NaN and
 * Infinity leave the column NULL and are named in `metadata.non_finite`; a value the importer had to assume (a
 * batch size the file did not state) is named in `metadata.assumed`; the old simulation flags are kept verbatim in
 * `metadata.legacy_flags` and make the row simulated, with a reason that names them.
 */
import type { z } from 'zod';

import { DbError, DbErrorCode } from '../../errors';
import { type CompatibilityResult, compatibilityResultSchema, type IntegrationResult, integrationResultSchema, type PerformanceResult, performanceResultSchema } from '../result-schemas';
import { AVAILABILITY, COMPATIBILITY, INFERENCE, INTEGRATION, isObj, mapFields, type Mapped, type Obj, PERFORMANCE, POWER, SIMULATION_FLAGS } from './fields';
import { NonFinite } from './python-json';
import { type AvailabilityResult, availabilityResultSchema, type InferenceResult, inferenceResultSchema, type PowerResult, powerResultSchema } from './schemas';

export type Kind = 'performance' | 'compatibility' | 'integration' | 'test_result' | 'power' | 'availability' | 'inference';

export interface Rows {
  performance: PerformanceResult[];
  compatibility: CompatibilityResult[];
  integration: IntegrationResult[];
  power: PowerResult[];
  availability: AvailabilityResult[];
  inference: InferenceResult[];
}

/** What a record added: per kind, and the names kept as metadata or found non-finite. */
export interface Notes {
  metadataFields: Set<string>;
  nonFinite: Set<string>;
}

const WEB_BACKENDS = new Set(['webgpu', 'webnn', 'wasm', 'webnn-cpu', 'webnn-gpu', 'webnn-npu']);
const STATUS: Record<string, IntegrationResult['status']> = {
  pass: 'pass', passed: 'pass', ok: 'pass', success: 'pass', succeeded: 'pass', fail: 'fail', failed: 'fail', failure: 'fail',
  error: 'error', errored: 'error', skip: 'skip', skipped: 'skip',
};
const METRIC_FIELDS = [...(PERFORMANCE.mean_latency_ms ?? []), ...(PERFORMANCE.p50_latency_ms ?? []), ...(PERFORMANCE.throughput_items_per_s ?? [])];
const POWER_FIELDS = ['power_watts_avg', 'power_watts_peak', 'temperature_celsius_avg', 'temperature_celsius_peak', 'battery_impact_mah', 'estimated_runtime_hours'];
/** Blocks inside a test result that are rows of their own. */
export const NESTED_BLOCKS = ['performance', 'power_metrics'];

const has = (r: Obj, names: readonly string[]): boolean => names.some((n) => r[n] !== undefined && r[n] !== null);

/** The kind of a record from its fields (`hint`: the section it was listed under). */
export function kindOf(r: Obj, hint?: Kind): Kind | undefined {
  if (hint !== undefined) {
    return hint;
  }
  if (has(r, ['test_type', 'endpoint_type']) || isObj(r.performance) || isObj(r.power_metrics)) {
    return 'test_result';
  }
  if (has(r, ['test_name', 'test_module']) && has(r, ['status', 'result', 'outcome'])) {
    return 'integration';
  }
  if (has(r, ['connection_id', 'simulation_mode', 'model_info'])) {
    return 'inference';
  }
  if (has(r, ['is_compatible', 'compatible', 'supported', 'compatibility_status', 'compatibility_score'])) {
    return 'compatibility';
  }
  if (has(r, POWER_FIELDS) && !has(r, METRIC_FIELDS)) {
    return 'power';
  }
  if (has(r, ['available', 'is_available']) && !has(r, METRIC_FIELDS)) {
    return 'availability';
  }
  if (has(r, METRIC_FIELDS) || has(r, ['memory_peak_mb', 'memory_peak'])) {
    return 'performance';
  }
  if (r.success === false && has(r, ['error', 'error_message']) && has(r, ['model_name', 'model']) && has(r, ['hardware_type', 'hardware', 'platform', 'backend'])) {
    return 'compatibility'; // a benchmark that could not run there: run_benchmark_with_db's failed result
  }
  return undefined;
}

function plain(v: unknown): unknown {
  if (v instanceof NonFinite) {
    return v.token;
  }
  if (Array.isArray(v)) {
    return v.map(plain);
  }
  return isObj(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;
}

/** Simulated per the old flags, the reason naming them, and the flags verbatim. */
function simulation(r: Obj, reason: unknown): { is_simulated: boolean; simulation_reason?: string; flags?: Obj } {
  const flags = Object.fromEntries(SIMULATION_FLAGS.filter((f) => r[f] !== undefined && r[f] !== null).map((f) => [f, plain(r[f])]));
  const truthy = (v: unknown) => v === true || v === 1 || (typeof v === 'string' && /^(true|yes|1)$/i.test(v));
  const notReal = Object.entries(flags).filter(([f, v]) => (f === 'is_real_hardware' ? !truthy(v) : truthy(v)));
  const said = typeof reason === 'string' && reason !== '' ? reason : undefined;
  if (notReal.length === 0) {
    return { is_simulated: false, ...(said === undefined ? {} : { simulation_reason: said }), ...(Object.keys(flags).length > 0 ? { flags } : {}) };
  }
  return { is_simulated: true, simulation_reason: said ?? `legacy file: ${notReal.map(([f, v]) => `${f}=${JSON.stringify(v)}`).join(', ')}`, flags };
}

function browserFromDevice(device: unknown): string | undefined {
  const name = typeof device === 'string' ? device.toLowerCase() : '';
  return ['chromium', 'chrome', 'edge', 'firefox', 'safari'].find((b) => name.includes(b));
}

/** browser/backend/host and the simulation flags, in place; returns the source fields it used. */
function place(r: Obj, m: Mapped, meta: Obj): void {
  const backend = typeof m.row.backend === 'string' ? m.row.backend.toLowerCase() : m.row.backend;
  m.row.backend = backend;
  if (typeof m.row.browser === 'string') {
    m.row.browser = m.row.browser.toLowerCase();
  } else if (typeof backend === 'string' && WEB_BACKENDS.has(backend)) {
    const fromDevice = browserFromDevice(r.device_name);
    m.row.browser = fromDevice ?? 'unknown';
    if (fromDevice !== undefined) {
      meta.device_name = r.device_name; // the old column, verbatim; the browser was read from it
      m.used.add('device_name');
    }
  } else if (backend !== undefined) {
    m.row.browser = 'native'; // cpu, cuda, rocm ... ran outside any browser
  }
  m.row.host ??= 'unknown'; // never this machine: the file does not say where it ran
  const sim = simulation(r, m.row.simulation_reason);
  m.row.is_simulated = sim.is_simulated;
  if (sim.simulation_reason !== undefined) {
    m.row.simulation_reason = sim.simulation_reason;
  }
  if (sim.flags !== undefined) {
    meta.legacy_flags = sim.flags;
  }
  for (const f of SIMULATION_FLAGS) {
    m.used.add(f);
  }
}

/** Unused fields as metadata (plus notes), and the metadata object itself, or undefined when empty. */
function metadataOf(r: Obj, m: Mapped, meta: Obj, notes: Notes, skip: readonly string[] = []): Obj | undefined {
  for (const [k, v] of Object.entries(r)) {
    if (!m.used.has(k) && !skip.includes(k) && v !== undefined) {
      meta[k] = plain(v);
      notes.metadataFields.add(k);
    }
  }
  if (Object.keys(m.nonFinite).length > 0) {
    meta.non_finite = m.nonFinite;
    for (const v of Object.values(m.nonFinite)) {
      notes.nonFinite.add(v);
    }
  }
  return Object.keys(meta).length === 0 ? undefined : meta;
}

function check<T extends z.ZodType>(schema: T, value: Obj, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new DbError(DbErrorCode.ImportFormat, `${where}: ${field === '' ? 'record' : field}: ${issue?.message ?? 'invalid'} (got ${(JSON.stringify(plain(field === '' ? undefined : value[field])) ?? 'nothing').slice(0, 120)})`);
  }
  return result.data;
}

function performanceRow(r: Obj, notes: Notes, where: string, skip: readonly string[]): PerformanceResult {
  const m = mapFields(r, PERFORMANCE);
  const meta: Obj = {};
  place(r, m, meta);
  if (m.row.batch_size === undefined) {
    m.row.batch_size = 1;
    meta.assumed = { batch_size: 1 };
  }
  for (const f of ['power_watts', 'energy_efficiency_items_per_joule']) {
    m.used.add(f); // stored as a power_metrics row beside this one
  }
  m.row.metadata = metadataOf(r, m, meta, notes, skip);
  return check(performanceResultSchema, m.row, where);
}

function powerRow(r: Obj, notes: Notes, where: string, source: string): PowerResult {
  const m = mapFields(r, POWER);
  const meta: Obj = {};
  place(r, m, meta);
  m.row.source ??= source;
  m.row.metadata = metadataOf(r, m, meta, notes, NESTED_BLOCKS);
  return check(powerResultSchema, m.row, where);
}

function compatibilityRow(r: Obj, notes: Notes, where: string): CompatibilityResult {
  const m = mapFields(r, COMPATIBILITY);
  const meta: Obj = {};
  place(r, m, meta);
  if (typeof m.row.compatibility_status === 'string') {
    m.row.compatibility_status = m.row.compatibility_status.toLowerCase();
  }
  if (m.row.is_compatible === undefined && m.row.compatibility_status !== undefined) {
    m.row.is_compatible = m.row.compatibility_status === 'supported' || m.row.compatibility_status === 'limited';
  }
  if (m.row.is_compatible === undefined && r.success === false) {
    m.row.is_compatible = false;
    m.used.add('success');
  }
  m.row.metadata = metadataOf(r, m, meta, notes);
  return check(compatibilityResultSchema, m.row, where);
}

function integrationRow(r: Obj, notes: Notes, where: string, testResult: boolean): IntegrationResult {
  const m = mapFields(r, INTEGRATION);
  const meta: Obj = {};
  if (m.row.backend !== undefined) {
    place(r, m, meta);
  }
  if (testResult) {
    // TestResultsDBHandler.store_test_result: one test of a model on a hardware type
    m.row.test_module ??= 'test_results';
    m.row.test_class ??= typeof r.test_type === 'string' ? r.test_type : undefined;
    const text = (v: unknown, fallback: string): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : fallback);
    m.row.test_name ??= `${text(r.test_type, 'test')} ${text(m.row.model_name, '?')} on ${text(m.row.backend, '?')}`;
    m.used.add('test_type');
    if (m.row.status === undefined && typeof r.success === 'boolean') {
      m.row.status = r.success ? 'pass' : 'fail';
      m.used.add('success');
    }
  }
  m.row.test_module ??= 'legacy';
  m.row.status = typeof m.row.status === 'string' ? (STATUS[m.row.status.toLowerCase()] ?? m.row.status) : m.row.status;
  if (m.row.test_class === undefined) {
    delete m.row.test_class;
  }
  m.row.metadata = metadataOf(r, m, meta, notes, NESTED_BLOCKS);
  return check(integrationResultSchema, m.row, where);
}

function availabilityRow(r: Obj, notes: Notes, where: string): AvailabilityResult {
  const m = mapFields(r, AVAILABILITY);
  const meta: Obj = {};
  place(r, m, meta);
  const sim = simulation(r, undefined);
  const row: Obj = { ...m.row, ...(sim.flags === undefined ? {} : { is_real_hardware: !sim.is_simulated }) };
  delete row.host;
  delete row.is_simulated;
  delete row.simulation_reason;
  row.details = metadataOf(r, m, meta, notes);
  return check(availabilityResultSchema, row, where);
}

function inferenceRow(r: Obj, notes: Notes, where: string): InferenceResult {
  const m = mapFields(r, INFERENCE);
  const meta: Obj = {};
  place(r, m, meta);
  delete m.row.host;
  const assumed: Obj = {};
  if (m.row.model_type === undefined) {
    m.row.model_type = 'unknown';
    assumed.model_type = 'unknown';
  }
  if (m.row.batch_size === undefined) {
    m.row.batch_size = 1;
    assumed.batch_size = 1;
  }
  if (Object.keys(assumed).length > 0) {
    meta.assumed = assumed;
  }
  m.row.backend = m.row.requested_backend; // the old table had one `platform` column for both
  m.row.success = typeof r.success === 'boolean' ? r.success : m.row.error_message === undefined;
  m.used.add('success');
  m.row.is_real_hardware = !(m.row.is_simulated as boolean);
  if (isObj(r.adapter_info)) {
    const { vendor, architecture } = r.adapter_info;
    if (typeof vendor === 'string') {
      m.row.adapter_vendor = vendor;
    }
    if (typeof architecture === 'string') {
      m.row.adapter_architecture = architecture;
    }
  }
  m.row.metadata = metadataOf(r, m, meta, notes);
  return check(inferenceResultSchema, m.row, where);
}

/** Adds the rows of one record of `kind` to `rows`. @throws DbError E_IMPORT_FORMAT naming the record and field */
export function addRecord(kind: Kind, r: Obj, rows: Rows, notes: Notes, where: string): void {
  switch (kind) {
    case 'performance': {
      rows.performance.push(performanceRow(r, notes, where, []));
      if (r.power_watts !== undefined || r.energy_efficiency_items_per_joule !== undefined) {
        const { power_watts, energy_efficiency_items_per_joule, ...rest } = r;
        const keep = Object.fromEntries(Object.entries(rest).filter(([k]) => [...Object.values(POWER).flat(), 'device_name', ...SIMULATION_FLAGS].includes(k)));
        rows.power.push(powerRow({ ...keep, power_watts_avg: power_watts, energy_efficiency_items_per_joule }, { metadataFields: new Set(), nonFinite: notes.nonFinite }, `${where} power`, 'legacy performance_results'));
      }
      return;
    }
    case 'test_result': {
      rows.integration.push(integrationRow(r, notes, where, true));
      const context = Object.fromEntries(Object.entries(r).filter(([k, v]) => !isObj(v) && ['model_name', 'model', 'hardware_type', 'device_name', 'timestamp', 'created_at', 'browser', ...SIMULATION_FLAGS].includes(k)));
      if (isObj(r.performance)) {
        rows.performance.push(performanceRow({ ...context, ...r.performance }, notes, `${where} performance`, []));
      }
      if (isObj(r.power_metrics)) {
        rows.power.push(powerRow({ ...context, ...r.power_metrics }, notes, `${where} power_metrics`, 'legacy test_results'));
      }
      return;
    }
    case 'integration':
      rows.integration.push(integrationRow(r, notes, where, false));
      return;
    case 'compatibility':
      rows.compatibility.push(compatibilityRow(r, notes, where));
      return;
    case 'power':
      rows.power.push(powerRow(r, notes, where, 'legacy power_metrics'));
      return;
    case 'availability':
      rows.availability.push(availabilityRow(r, notes, where));
      return;
    case 'inference':
      rows.inference.push(inferenceRow(r, notes, where));
  }
}
