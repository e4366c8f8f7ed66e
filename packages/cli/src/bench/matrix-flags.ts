/**
 * Names of the optimization flags a sweep can turn on and off (`bench --flags`). The names come from
 * db-integration's analysis, so what a user types is what every table, progress line and report prints.
 */
import { BENCH_FLAG_NAMES, type BenchFlagName } from '@browser-pool/db-integration';

import type { OptimizationFlags } from './config';

export const FLAG_NAMES = BENCH_FLAG_NAMES;
export type FlagName = BenchFlagName;

/** The `OptimizationFlags` field each flag name turns. */
export const FLAG_FIELD: Record<FlagName, keyof OptimizationFlags> = {
  'compute-shaders': 'computeShaderOptimized',
  precompile: 'precompileShaders',
  'parallel-loading': 'parallelLoading',
};

/** The full flag set a configuration ran with, by flag name: `compute-shaders=off precompile=on parallel-loading=off`. */
export function flagSetText(flags: OptimizationFlags): string {
  return FLAG_NAMES.map((n) => `${n}=${flags[FLAG_FIELD[n]] ? 'on' : 'off'}`).join(' ');
}
