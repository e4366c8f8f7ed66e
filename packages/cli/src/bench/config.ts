/**
 * One benchmark configuration: model x browser x backend x batch size x precision x optimization flags, how
 * configurations are keyed (the incremental planner compares keys with stored results), and the CSV form used by
 * `--configs` and `--dry-run --plan-csv`.
 */
import { BROWSER_KINDS, type BrowserKind } from '@browser-pool/browser-harness/kinds';
import { type Backend, BACKENDS } from '@browser-pool/browser-harness/protocol';
import { DbError, DbErrorCode } from '@browser-pool/db-integration';

export const PRECISIONS = ['fp32', 'fp16', 'int8', 'int4', 'int2'] as const;
export type Precision = (typeof PRECISIONS)[number];
export const PRECISION_BITS: Record<Precision, number> = { fp32: 32, fp16: 16, int8: 8, int4: 4, int2: 2 };

export interface OptimizationFlags {
  /** WebGPU EP kernel settings (preferredLayout NHWC). */
  computeShaderOptimized: boolean;
  /** An untimed warm-up inference compiles pipelines before the first measured run. */
  precompileShaders: boolean;
  /** The group's sessions (one per batch size) are created concurrently instead of one after another. */
  parallelLoading: boolean;
}

export const NO_FLAGS: OptimizationFlags = { computeShaderOptimized: false, precompileShaders: false, parallelLoading: false };

export interface BenchConfig {
  model: string;
  browser: BrowserKind;
  backend: Backend;
  batchSize: number;
  precision: Precision;
  flags: OptimizationFlags;
  /** Part of the `--priority-only` subset. */
  priority: boolean;
}

/** The catalogue name of a model at a precision: fp32 is the model itself. */
export function variantName(model: string, precision: Precision): string {
  return precision === 'fp32' ? model : `${model}-${precision}`;
}

const bit = (b: boolean): string => (b ? '1' : '0');

/** Identity of a configuration (priority is not part of it). */
export function configKey(c: Omit<BenchConfig, 'priority'>): string {
  const f = c.flags;
  return [c.model, c.browser, c.backend, c.batchSize, c.precision, bit(f.computeShaderOptimized), bit(f.precompileShaders), bit(f.parallelLoading)].join('|');
}

/** Configurations that share sessions: everything but the batch size. */
export function groupKey(c: BenchConfig): string {
  return configKey({ ...c, batchSize: 0 });
}

/** Flag columns carry the flag's name as `--flags` takes it, so a flag has one name in and out. */
export const CSV_HEADER = ['model', 'browser', 'backend', 'batch_size', 'precision', 'compute-shaders', 'precompile', 'parallel-loading', 'priority'] as const;

/** Older configs files name the flag columns as the database does; they are still read. */
const LEGACY_FLAG_COLUMNS: Record<string, string> = { 'compute-shaders': 'compute_shader_optimized', precompile: 'precompile_shaders', 'parallel-loading': 'parallel_loading' };

function parseBool(v: string | undefined, where: string): boolean {
  const s = (v ?? '').trim().toLowerCase();
  if (['', '0', 'false', 'no', 'off'].includes(s)) {
    return false;
  }
  if (['1', 'true', 'yes', 'on'].includes(s)) {
    return true;
  }
  throw new DbError(DbErrorCode.InvalidArgument, `${where}: expected true/false, got ${JSON.stringify(v)}`);
}

function oneOf<T extends string>(allowed: readonly T[], v: string | undefined, where: string): T {
  const s = (v ?? '').trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(s)) {
    throw new DbError(DbErrorCode.InvalidArgument, `${where}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return s as T;
}

/** Parses a configs CSV (header required; columns after `batch_size` optional). */
export function parseConfigsCsv(text: string): BenchConfig[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim().toLowerCase());
  for (const required of ['model', 'browser', 'backend', 'batch_size']) {
    if (!header.includes(required)) {
      throw new DbError(DbErrorCode.InvalidArgument, `configs CSV needs a header with ${CSV_HEADER.slice(0, 4).join(', ')} (and optionally ${CSV_HEADER.slice(4).join(', ')}); missing ${required}`);
    }
  }
  return lines.map((line, i) => {
    const cells = line.split(',');
    const get = (name: string): string | undefined => {
      const at = header.indexOf(name) >= 0 ? header.indexOf(name) : header.indexOf(LEGACY_FLAG_COLUMNS[name] ?? name);
      return at < 0 ? undefined : cells[at]?.trim();
    };
    const where = `configs CSV line ${i + 2}`;
    const batch = Number(get('batch_size'));
    if (!(Number.isInteger(batch) && batch > 0)) {
      throw new DbError(DbErrorCode.InvalidArgument, `${where}: batch_size must be a positive integer, got ${JSON.stringify(get('batch_size'))}`);
    }
    const model = get('model') ?? '';
    if (model === '') {
      throw new DbError(DbErrorCode.InvalidArgument, `${where}: model is empty`);
    }
    return {
      model,
      browser: oneOf(BROWSER_KINDS, get('browser'), `${where} browser`),
      backend: oneOf(BACKENDS, get('backend'), `${where} backend`),
      batchSize: batch,
      precision: get('precision') === undefined || get('precision') === '' ? 'fp32' : oneOf(PRECISIONS, get('precision'), `${where} precision`),
      flags: {
        computeShaderOptimized: parseBool(get('compute-shaders'), `${where} compute-shaders`),
        precompileShaders: parseBool(get('precompile'), `${where} precompile`),
        parallelLoading: parseBool(get('parallel-loading'), `${where} parallel-loading`),
      },
      priority: parseBool(get('priority'), `${where} priority`),
    };
  });
}

export function configCsvCells(c: BenchConfig): string[] {
  return [c.model, c.browser, c.backend, String(c.batchSize), c.precision, String(c.flags.computeShaderOptimized), String(c.flags.precompileShaders), String(c.flags.parallelLoading), String(c.priority)];
}
