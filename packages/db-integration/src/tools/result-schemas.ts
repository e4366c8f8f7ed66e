/**
 * The shapes of results that arrive from outside the pool: REST bodies, normalized legacy JSON records, sweep
 * results. One zod schema per kind validates them and, converted to JSON Schema, documents the REST API.
 * Field names are the database's column names.
 */
import { z } from 'zod';

const nonNegative = z.number().finite().nonnegative();
/** Largest value of an INTEGER column; a larger count is refused, never stored as NULL or wrapped. */
export const INT32_MAX = 2_147_483_647;
const int32 = (min: number) => z.number().int().min(min).max(INT32_MAX);

/** Deepest nesting and largest size of a free-form JSON field (metrics, metadata). */
export const JSON_FIELD_MAX_DEPTH = 8;
export const JSON_FIELD_MAX_BYTES = 65_536;

function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v !== null && typeof v === 'object') {
      deepest = Math.max(deepest, d + 1);
      for (const child of Object.values(v)) {
        stack.push([child, d + 1]);
      }
    }
  }
  return deepest;
}

/** A free-form JSON object field, bounded in depth and size at the boundary (nothing recursive sees it deeper). */
export const jsonObject = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  if (depthOf(value) > JSON_FIELD_MAX_DEPTH) {
    ctx.addIssue({ code: 'custom', message: `nested deeper than ${JSON_FIELD_MAX_DEPTH} levels`, params: { expected: `an object at most ${JSON_FIELD_MAX_DEPTH} levels deep` } });
    return;
  }
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > JSON_FIELD_MAX_BYTES) {
    ctx.addIssue({ code: 'custom', message: `${bytes} bytes as JSON`, params: { expected: `an object of at most ${JSON_FIELD_MAX_BYTES} bytes as JSON` } });
  }
});
export const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 time; default: when it was received');

/** Where a result ran: browser, backend and adapter on a host. */
export const placement = {
  model_name: z.string().min(1).max(200),
  model_type: z.string().min(1).max(50).optional(),
  browser: z.string().min(1).max(50).describe('chromium | firefox | edge | webkit | native (non-browser legacy results)'),
  browser_version: z.string().max(100).optional(),
  backend: z.string().min(1).max(50).describe('the backend that actually ran: webgpu | webnn | wasm | cpu | cuda ...'),
  adapter_vendor: z.string().max(100).optional(),
  adapter_architecture: z.string().max(100).optional(),
  is_simulated: z.boolean().default(false).describe('true when it did not run on real hardware of the kind it names (software WebGPU adapter)'),
  simulation_reason: z.string().max(500).optional(),
  host: z.string().min(1).max(200).optional(),
};

export const performanceResultSchema = z
  .object({
    ...placement,
    requested_backend: z.string().min(1).max(50).optional(),
    batch_size: z.number().int().positive().max(1_000_000),
    precision: z.string().max(20).optional(),
    sequence_length: int32(1).optional(),
    warmup_iterations: int32(0).optional(),
    iterations: int32(0).optional(),
    mean_latency_ms: nonNegative.optional(),
    p50_latency_ms: nonNegative.optional(),
    p90_latency_ms: nonNegative.optional(),
    p99_latency_ms: nonNegative.optional(),
    stdev_latency_ms: nonNegative.optional(),
    throughput_items_per_s: nonNegative.optional(),
    memory_peak_mb: nonNegative.optional(),
    init_ms: nonNegative.optional(),
    first_run_ms: nonNegative.optional(),
    compute_shader_optimized: z.boolean().optional(),
    precompile_shaders: z.boolean().optional(),
    parallel_loading: z.boolean().optional(),
    mixed_precision: z.boolean().optional(),
    precision_bits: z.number().int().positive().max(64).optional(),
    created_at: timestamp.optional(),
    metrics: jsonObject.optional(),
    metadata: jsonObject.optional().describe('fields without a column (legacy imports keep them here)'),
  })
  .strict()
  .refine((r) => r.mean_latency_ms !== undefined || r.p50_latency_ms !== undefined || r.throughput_items_per_s !== undefined, {
    message: 'a performance result needs at least one of mean_latency_ms, p50_latency_ms, throughput_items_per_s',
  });
export type PerformanceResultInput = z.input<typeof performanceResultSchema>;
export type PerformanceResult = z.output<typeof performanceResultSchema>;

export const compatibilityResultSchema = z
  .object({
    ...placement,
    is_compatible: z.boolean(),
    compatibility_status: z.enum(['supported', 'limited', 'unsupported']).optional().describe('the old status; limited still counts as compatible'),
    compatibility_score: z.number().finite().min(0).max(1).optional(),
    recommended: z.boolean().optional(),
    error_code: z.string().max(100).optional(),
    error_type: z.string().max(200).optional(),
    error_message: z.string().max(5000).optional(),
    detection_success: z.boolean().optional(),
    initialization_success: z.boolean().optional(),
    detected_at: timestamp.optional(),
    metadata: jsonObject.optional().describe('fields without a column (legacy imports keep them here)'),
  })
  .strict();
export type CompatibilityResult = z.output<typeof compatibilityResultSchema>;

export const INTEGRATION_STATUSES = ['pass', 'fail', 'error', 'skip'] as const;

export const integrationResultSchema = z
  .object({
    test_module: z.string().min(1).max(500),
    test_class: z.string().max(500).optional(),
    test_name: z.string().min(1).max(500),
    status: z.enum(INTEGRATION_STATUSES),
    execution_time_s: nonNegative.optional(),
    model_name: z.string().min(1).max(200).optional(),
    browser: z.string().min(1).max(50).optional().describe('where it ran, when it names one (stored as a hardware platform with backend)'),
    backend: z.string().min(1).max(50).optional(),
    host: z.string().min(1).max(200).optional(),
    is_simulated: z.boolean().optional(),
    simulation_reason: z.string().max(500).optional(),
    error_message: z.string().max(5000).optional(),
    created_at: timestamp.optional(),
    metadata: jsonObject.optional(),
  })
  .strict();
export type IntegrationResult = z.output<typeof integrationResultSchema>;

/** Results of one kind in one request or one file: at most 10 000 per call. */
export function batchOf<T extends z.ZodType>(schema: T) {
  return z.object({ results: z.array(schema).min(1).max(10_000) }).strict();
}
