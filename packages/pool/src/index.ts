/** The pool: `new ResourcePool(options)`, `initialize()`, `getModel(type, name, options)`, `stats()`, `close()`. */
export { type Breaker, type BreakerState, OpossumBreaker } from './breaker';
export type * from './database';
export * from './discovery';
export type { PoolEvents } from './events';
export type { HostInfo } from './fleet';
export { ewma, type HealthInputs,healthScore } from './health';
export { backoffDelay, type HostSpec, type ReconnectOptions } from './hosts';
export * from './model-handle';
export type { ModelSpec } from './model-spec';
export * from './options';
export { ModelPipeline, type PipelineOptions, type PipelineResult } from './pipeline';
export type { RoutingSource } from './pool-model';
export { type GetModelOptions, ResourcePool } from './resource-pool';
export * from './routing/policy';
export { planScaling, type ScalingInput, type ScalingPlan } from './scaling';
export type { ConnectionSnapshot, PoolStats } from './stats';
