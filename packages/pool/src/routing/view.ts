/** What a routing policy may know about a connection (`PoolConnection` is one). */
import type { BrowserKind, Capabilities } from '@browser-pool/browser-harness';

import type { BreakerState } from '../breaker';

export interface ConnectionView {
  readonly id: string;
  readonly browser: BrowserKind;
  readonly capabilities: Capabilities;
  /** Only `ready` connections take new work. */
  readonly accepting: boolean;
  readonly breaker: BreakerState;
  /** Queued + running requests. */
  readonly outstanding: number;
  /** Calls the page runs at the same time (its session workers, or 1 for a one-thread page). */
  readonly capacity: number;
  /** Models loaded (or loading) on this connection. */
  readonly modelCount: number;
  /** Inference calls queued and running here, per model key. Where absent, `outstanding` calls of unknown cost. */
  readonly callsByModel?: ReadonlyMap<string, number>;
  /** Observed in-page compute time of one call (EWMA, ms) of each model run here (first runs left out). */
  readonly computeMs?: ReadonlyMap<string, number>;
  /** When (`performance.now()`) each model's `computeMs` here took its last sample. Absent: every estimate is fresh. */
  readonly computeSampledAt?: ReadonlyMap<string, number>;
  /** Observed time (ms) of the last load of each model loaded here. */
  readonly loadMs?: ReadonlyMap<string, number>;
  /** Loads under way here: model key to the milliseconds spent on it so far (the page is busy with them). */
  readonly loading?: ReadonlyMap<string, number>;
  /** Every slot taken: a call routed here waits in the pool's line first (late binding). Absent: never full. */
  readonly full?: boolean;
  readonly healthScore: number;
  /** EWMA of end-to-end latency (ms); undefined before the first inference. */
  readonly latencyMs: number | undefined;
  hasModel(modelKey: string): boolean;
}
