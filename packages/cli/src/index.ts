/** Wiring: a pool with its measurement database. */
export * from './create-pool';
