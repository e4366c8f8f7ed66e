/** Names of the optimization flags a sweep can turn on and off (`bench --flags`). */
export const FLAG_NAMES = ['compute-shaders', 'precompile', 'parallel-loading'] as const;
export type FlagName = (typeof FLAG_NAMES)[number];
