/** Wiring: a pool with its measurement database. */
export * from './create-pool';
/** Benchmark sweeps: configurations, the incremental planner, the stability rule and the runner. */
export * from './availability';
export * from './bench/config';
export * from './bench/plan';
export * from './bench/runner';
export * from './bench/schedule';
export * from './bench/stability';
