/** A harness connection made a pool connection: its own circuit breaker and the pool's limits for it. */
import type { Connection } from '@browser-pool/browser-harness';

import { OpossumBreaker } from './breaker';
import type { ResolvedPoolOptions } from './options';
import { PoolConnection } from './pool-connection';

export function wrapConnection(connection: Connection, o: ResolvedPoolOptions, drops: number, onWorn: (reason: string) => void): PoolConnection {
  const breaker = new OpossumBreaker(`connection ${connection.id}`, {
    errorThresholdPercentage: o.breaker.errorThresholdPercentage,
    volumeThreshold: o.breaker.volumeThreshold,
    resetTimeoutMs: o.breaker.resetTimeoutMs,
    rollingWindowMs: o.breaker.rollingWindowMs,
  });
  return new PoolConnection(connection, breaker, o.connectionConcurrency, o.loadTimeoutMs, drops, o.scaling.recycleAboveMemoryMB * 1024 * 1024, {
    afterInferences: o.scaling.recycleAfterInferences,
    onWorn,
  });
}
