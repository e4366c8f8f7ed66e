/** The pool: `new ResourcePool(options)`, `initialize()`, `getModel(type, name, options)`, `close()`. */
export type { PoolEvents } from './events';
export * from './model-handle';
export { type PoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './options';
export { type GetModelOptions, ResourcePool } from './resource-pool';
