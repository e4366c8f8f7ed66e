/**
 * Rows that only legacy files bring: power measurements, hardware availability checks and the old pool's
 * per-inference rows (`webnn_webgpu_performance`). Field names are this database's column names.
 */
import { z } from 'zod';

import { jsonObject, placement, timestamp } from '../result-schemas';

const value = z.number().finite();

export const powerResultSchema = z
  .object({
    ...placement,
    power_watts_avg: value.nonnegative().optional(),
    power_watts_peak: value.nonnegative().optional(),
    energy_joules: value.nonnegative().optional(),
    temperature_c: value.optional(),
    temperature_c_peak: value.optional(),
    battery_impact_mah: value.optional(),
    duration_s: value.nonnegative().optional(),
    estimated_runtime_hours: value.optional(),
    energy_efficiency_items_per_joule: value.nonnegative().optional(),
    source: z.string().min(1).max(200),
    recorded_at: timestamp.optional(),
    metadata: jsonObject.optional(),
  })
  .strict();
export type PowerResult = z.output<typeof powerResultSchema>;

export const availabilityResultSchema = z
  .object({
    browser: z.string().min(1).max(50),
    browser_version: z.string().max(100).optional(),
    backend: z.string().min(1).max(50),
    available: z.boolean(),
    is_real_hardware: z.boolean().optional(),
    reason: z.string().max(5000).optional(),
    checked_at: timestamp.optional(),
    details: jsonObject.optional(),
  })
  .strict();
export type AvailabilityResult = z.output<typeof availabilityResultSchema>;

export const inferenceResultSchema = z
  .object({
    recorded_at: timestamp.optional(),
    connection_id: z.string().max(200).optional(),
    model_name: z.string().min(1).max(200),
    model_type: z.string().min(1).max(50),
    browser: z.string().min(1).max(50).optional(),
    requested_backend: z.string().min(1).max(50),
    backend: z.string().min(1).max(50).optional(),
    batch_size: z.number().int().positive().max(1_000_000),
    success: z.boolean(),
    error_message: z.string().max(5000).optional(),
    compute_ms: value.nonnegative().optional(),
    end_to_end_ms: value.nonnegative().optional(),
    is_real_hardware: z.boolean(),
    is_simulated: z.boolean(),
    simulation_reason: z.string().max(500).optional(),
    adapter_vendor: z.string().max(100).optional(),
    adapter_architecture: z.string().max(100).optional(),
    compute_shader_optimized: z.boolean().optional(),
    precompile_shaders: z.boolean().optional(),
    parallel_loading: z.boolean().optional(),
    mixed_precision: z.boolean().optional(),
    precision_bits: z.number().int().positive().max(64).optional(),
    metadata: jsonObject.optional(),
  })
  .strict();
export type InferenceResult = z.output<typeof inferenceResultSchema>;
