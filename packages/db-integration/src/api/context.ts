/** What every route module gets from the server (its own file so route modules need not import the server). */
import type { FastifyRequest } from 'fastify';

import type { Store } from '../store/store';
import type { Metrics } from './metrics';

/** The context each route module gets. */
export interface ApiContext {
  store: Store;
  metrics: Metrics;
  queryRowLimit: number;
  queryTimeoutMs: number;
  queryByteLimit: number;
  /** onRequest hook of mutating routes: runs before the body is read, so a write without the token is 401 whatever it sends. */
  requireToken: (request: FastifyRequest) => Promise<void>;
  /** Runs write transactions one at a time (they share the store's connection). */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
}
