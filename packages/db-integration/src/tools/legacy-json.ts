/**
 * Reads the old system's result files (shapes named in ../shared/seeds): a bare list, `{results: [...]}`, keyed
 * sections named after its tables or the converter's categories (`performance_results`, `performance`,
 * `hardware_compatibility`, `compatibility`, `integration_test_results`, `test_results`, `power_metrics`,
 * `hardware_availability_log`, `hardware`, `webnn_webgpu_performance`, `web_platform_results`), per-hardware maps
 * (`{model, results: {cpu: {...}, cuda: {...}}}`), `run_benchmark_with_db --output-json` summaries, and Python's
 * NaN/Infinity. Pure: text in, validated rows out (with what was kept as metadata), or an error naming the record
 * and field, in which case nothing from the file may be stored.
 */
import { DbError, DbErrorCode } from '../errors';
import { COMMON, isObj, type Obj, SIMULATION_FLAGS, TIME } from './legacy/fields';
import { parsePythonJson } from './legacy/python-json';
import { addRecord, type Kind, kindOf, NESTED_BLOCKS, type Notes, type Rows } from './legacy/shapes';

export interface LegacyRecords extends Rows {
  /** Field names kept in a metadata column because no column holds them. */
  metadataFields: string[];
  /** `column: field=NaN|Infinity` found and stored as NULL. */
  nonFinite: string[];
  /** Top-level fields of the file that belong to no result (summaries, generator notes), kept with the import run. */
  fileFields: Obj;
}

/** Section names -> kind of their records. */
const SECTIONS: Record<string, Kind> = {
  performance_results: 'performance', performance: 'performance', web_platform_results: 'performance', benchmarks: 'performance',
  hardware_compatibility: 'compatibility', compatibility: 'compatibility', compatibility_results: 'compatibility',
  integration_test_results: 'integration', integration: 'integration',
  test_results: 'test_result',
  power_metrics: 'power', power: 'power',
  hardware_availability_log: 'availability', availability: 'availability', hardware: 'availability',
  webnn_webgpu_performance: 'inference', inferences: 'inference',
};

/** Values that are fields of a record, however they are shaped. */
const FIELD_OBJECTS = new Set(['metrics', 'metadata', 'details', 'adapter_info', 'model_info', 'browser_info', 'system_info', 'test_params', 'features', 'config', ...NESTED_BLOCKS]);

/** Fields a contained record inherits from its container: where and when it ran, and the old flags. */
const INHERITED = new Set([...Object.values(COMMON).flat(), ...TIME, ...SIMULATION_FLAGS, 'batch_size', 'batchSize', 'precision', 'sequence_length', 'device_name', 'test_type', 'model_family']);

interface Found {
  record: Obj;
  hint: Kind | undefined;
  /** true when the record sat in a list of results: it must be one */
  listed: boolean;
}

/** An object whose every value is a record with fields of its own: `{cpu: {...}, cuda: {...}}`. */
const isHardwareMap = (v: unknown): boolean =>
  isObj(v) && Object.keys(v).length > 0 && Object.values(v).every((x) => isObj(x) && Object.values(x).some((y) => !isObj(y) && !Array.isArray(y)));

/** A list of records (any key; `performance: [...]` is the converter's section) or a per-hardware map. */
const isContainer = (k: string, v: unknown): boolean =>
  (Array.isArray(v) && v.some(isObj) && (k in SECTIONS || !FIELD_OBJECTS.has(k))) || (!FIELD_OBJECTS.has(k) && isHardwareMap(v));

function walk(value: unknown, inherited: Obj, hint: Kind | undefined, listed: boolean, out: Found[], fileFields: Obj): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (!isObj(v)) {
        throw new DbError(DbErrorCode.ImportFormat, `list item ${i + 1} is ${JSON.stringify(v)?.slice(0, 40)}, not a result object`);
      }
      walk(v, inherited, hint, true, out, fileFields);
    });
    return;
  }
  if (!isObj(value)) {
    throw new DbError(DbErrorCode.ImportFormat, 'the file holds no JSON object or list of results');
  }
  const own: Obj = {};
  const nested: [string, unknown][] = [];
  for (const [k, v] of Object.entries(value)) {
    if (isContainer(k, v)) {
      nested.push([k, v]);
    } else {
      own[k] = v;
    }
  }
  if (nested.length === 0) {
    out.push({ record: { ...inherited, ...own }, hint, listed });
    return;
  }
  const context: Obj = { ...inherited };
  const ownKind = kindOf(own, hint);
  for (const [k, v] of Object.entries(own)) {
    if (INHERITED.has(k)) {
      context[k] = v;
    } else if (ownKind === undefined) {
      fileFields[k] = v; // summaries and notes of the file itself (total, successful, generated_by ...)
    }
  }
  if (ownKind !== undefined && kindOf(own) !== undefined) {
    out.push({ record: { ...inherited, ...own }, hint, listed });
  }
  for (const [k, v] of nested) {
    const sectionKind = SECTIONS[k] ?? hint;
    if (isObj(v) && !(k in SECTIONS)) {
      // `{cpu: {...}, cuda: {...}}`: each key names the hardware unless the record names its own
      for (const [hw, inner] of Object.entries(v)) {
        walk(inner, { ...context, hardware_type: (inner as Obj).hardware_type ?? hw }, sectionKind, true, out, fileFields);
      }
    } else {
      walk(v, context, sectionKind, true, out, fileFields);
    }
  }
}

/** Parses one file's text; throws `E_IMPORT_FORMAT` naming the first bad record (then nothing from the file is stored). */
export function parseLegacyJson(text: string): LegacyRecords {
  const parsed = parsePythonJson(text);
  const found: Found[] = [];
  const fileFields: Obj = {};
  walk(parsed, {}, undefined, false, found, fileFields);
  const rows: Rows = { performance: [], compatibility: [], integration: [], power: [], availability: [], inference: [] };
  const notes: Notes = { metadataFields: new Set(), nonFinite: new Set() };
  found.forEach(({ record, hint, listed }, i) => {
    const kind = kindOf(record, hint);
    if (kind === undefined) {
      if (listed) {
        const fields = Object.keys(record).slice(0, 12).join(', ');
        throw new DbError(DbErrorCode.ImportFormat, `record ${i + 1}: not a result of any known shape (fields: ${fields}); expected a performance, compatibility, integration/test, power, availability or inference record`);
      }
      Object.assign(fileFields, record);
      return;
    }
    addRecord(kind, record, rows, notes, `record ${i + 1} (${kind})`);
  });
  const total = (Object.values(rows) as unknown[][]).reduce((n, list) => n + list.length, 0);
  if (total === 0) {
    throw new DbError(DbErrorCode.ImportFormat, 'no results found (expected fields such as model, hardware_type/browser, throughput or latency, is_compatible, test_name/status)');
  }
  return { ...rows, metadataFields: [...notes.metadataFields].sort(), nonFinite: [...notes.nonFinite].sort(), fileFields };
}
